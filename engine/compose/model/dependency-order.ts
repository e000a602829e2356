/**
 * The order services start in (`depends_on`), and the services an `up web` needs. A dependency on a
 * service the project lacks, or a cycle, makes the project invalid, as in Compose.
 */
import { ComposeFileError } from './compose-errors.ts';
import type { ComposeProject } from './compose-model.ts';

type Services = ComposeProject['services'];

/** Service names, each after the services it depends on; otherwise by name. */
export function dependencyOrder(services: Services): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      throw new ComposeFileError(`dependency cycle detected: ${cycle.join(' -> ')}`);
    }
    state.set(name, 'visiting');
    const deps = services[name]!.depends_on;
    for (const dep of Object.keys(deps).sort()) {
      // `required: false` lets the dependency be absent (Compose only warns when it cannot be started).
      if (!services[dep] && !deps[dep]!.required) continue;
      if (!services[dep]) throw new ComposeFileError(`service "${name}" depends on undefined service "${dep}": invalid compose project`);
      visit(dep, [...trail, name]);
    }
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of Object.keys(services).sort()) visit(name, []);
  return order;
}

/** The named services and, unless `noDeps` (`--no-deps`), everything they depend on, in start order. */
export function servicesNeeded(services: Services, names: readonly string[], noDeps = false): string[] {
  for (const name of names) if (!services[name]) throw new ComposeFileError(`no such service: ${name}`);
  const needed = new Set<string>();
  const add = (name: string) => {
    if (needed.has(name)) return;
    needed.add(name);
    if (!noDeps) for (const dep of Object.keys(services[name]?.depends_on ?? {})) if (services[dep]) add(dep);
  };
  for (const name of names) add(name);
  return dependencyOrder(services).filter((name) => needed.has(name));
}
