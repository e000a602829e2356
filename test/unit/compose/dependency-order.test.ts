// Start order by depends_on, and the services an `up` of some of them needs.
import { describe, expect, it } from 'vitest';
import type { ComposeDependency, ComposeProject, ComposeService } from '../../../engine/compose/model/compose-model.ts';
import { dependencyOrder, servicesNeeded } from '../../../engine/compose/model/dependency-order.ts';

const dep = (required = true): ComposeDependency => ({ condition: 'service_started', restart: false, required });
const services = (graph: Record<string, string[] | Record<string, ComposeDependency>>): ComposeProject['services'] =>
  Object.fromEntries(
    Object.entries(graph).map(([name, deps]) => [
      name,
      {
        environment: {},
        labels: {},
        ports: [],
        expose: [],
        volumes: [],
        networks: {},
        depends_on: Array.isArray(deps) ? Object.fromEntries(deps.map((d) => [d, dep()])) : deps,
      } as ComposeService,
    ]),
  );

describe('dependencyOrder', () => {
  it('puts each service after its dependencies, and otherwise by name', () => {
    expect(dependencyOrder(services({ web: ['redis', 'db'], redis: [], db: [], worker: ['db'], admin: [] }))).toEqual([
      'admin',
      'db',
      'redis',
      'web',
      'worker',
    ]);
    expect(dependencyOrder(services({ c: ['b'], b: ['a'], a: [] }))).toEqual(['a', 'b', 'c']);
  });

  it('refuses a dependency on a missing service, unless it is not required', () => {
    expect(() => dependencyOrder(services({ web: ['db'] }))).toThrow('service "web" depends on undefined service "db": invalid compose project');
    expect(dependencyOrder(services({ web: { db: dep(false) } }))).toEqual(['web']);
  });

  it('names a cycle', () => {
    expect(() => dependencyOrder(services({ a: ['b'], b: ['a'] }))).toThrow('dependency cycle detected: a -> b -> a');
    expect(() => dependencyOrder(services({ x: ['a'], a: ['b'], b: ['c'], c: ['a'] }))).toThrow('dependency cycle detected: a -> b -> c -> a');
    expect(() => dependencyOrder(services({ self: ['self'] }))).toThrow('dependency cycle detected: self -> self');
  });
});

describe('servicesNeeded', () => {
  const graph = services({ web: ['api'], api: ['db', 'cache'], db: [], cache: [], other: [] });
  it('adds what the named services depend on, in start order', () => {
    expect(servicesNeeded(graph, ['web'])).toEqual(['cache', 'db', 'api', 'web']);
    expect(servicesNeeded(graph, ['other', 'db'])).toEqual(['db', 'other']);
  });
  it('takes only the named ones with --no-deps, and refuses an unknown one', () => {
    expect(servicesNeeded(graph, ['web', 'db'], true)).toEqual(['db', 'web']);
    expect(() => servicesNeeded(graph, ['nope'])).toThrow('no such service: nope');
  });
});
