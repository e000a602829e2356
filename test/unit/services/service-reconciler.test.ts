// engine.services over fake nodes: desired state → tasks, and kept so as tasks and nodes change.
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../../engine/engine.ts';
import { containerEngine, until } from '../../support/cli-helpers.ts';
import { fakeNodes } from '../../support/fake-node.ts';

const IMAGE = 'test/tools';
let engine: Engine;

afterEach(async () => {
  await engine?.close();
});

async function open(nodes = 0): Promise<Engine> {
  ({ engine } = await containerEngine());
  for (let i = 0; i < nodes; i++) engine.nodes.add();
  return engine;
}

/** Running tasks per node name. */
function spread(service: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of engine.services.tasks(service)) if (t.container.State.Running) out[t.container.Node] = (out[t.container.Node] ?? 0) + 1;
  return out;
}

const converged = (s: string) => until(() => engine.services.converged(s), 3000);

describe('engine.services', () => {
  it('runs replicas as tasks named and labelled as Swarm does, spread over the nodes', async () => {
    await open(1);
    const { ID } = await engine.services.create({ name: 'web', image: IMAGE, args: ['spin'], replicas: 3 });
    await converged('web');
    expect(spread('web')).toEqual({ 'node-1': 1, 'node-2': 1, 'node-3': 1 });
    const t = engine.services.tasks('web')[0]!;
    expect(t.name).toMatch(/^web\.[123]\.[0-9a-f]{25}$/);
    expect(t.container.Name).toBe(`/${t.name}`);
    expect(t.container.Config.Labels).toMatchObject({
      'com.docker.swarm.service.name': 'web',
      'com.docker.swarm.service.id': ID,
      'com.docker.swarm.task.id': t.id,
      'com.docker.swarm.task.name': t.name,
      'com.docker.swarm.node.id': engine.nodes.inspect(t.container.Node).ID,
    });
    expect(engine.services.status('web')).toEqual({ running: 3, desired: 3, upToDate: 3 });
  });

  it('runs one task per ready node in global mode, and on a node added later', async () => {
    await open();
    await engine.services.create({ name: 'agent', image: IMAGE, args: ['spin'], mode: 'global' });
    await converged('agent');
    expect(spread('agent')).toEqual({ 'node-1': 1, 'node-2': 1 });
    engine.nodes.add();
    await until(() => spread('agent')['node-3'] === 1);
    expect(engine.services.status('agent')).toMatchObject({ running: 3, desired: 3 });
  });

  it('honours constraints and spreads by a placement preference', async () => {
    await open(2);
    engine.nodes.update('node-1', { labelAdd: { zone: 'a' } });
    engine.nodes.update('node-2', { labelAdd: { zone: 'b' } });
    engine.nodes.update('node-3', { labelAdd: { zone: 'b' } });
    engine.nodes.update('node-4', { labelAdd: { zone: 'b' } });
    await engine.services.create({ name: 'pinned', image: IMAGE, args: ['spin'], replicas: 2, constraints: ['node.labels.zone==b', 'node.name!=node-2'] });
    await engine.services.create({ name: 'zones', image: IMAGE, args: ['spin'], replicas: 4, placementPrefs: ['spread=node.labels.zone'] });
    await converged('pinned');
    await converged('zones');
    expect(spread('pinned')).toEqual({ 'node-3': 1, 'node-4': 1 });
    // Half in zone a (one node), half over zone b's three nodes.
    expect(spread('zones')['node-1']).toBe(2);
    await expect(engine.services.create({ name: 'bad', image: IMAGE, constraints: ['zone=a'] })).rejects.toThrow('invalid placement constraint: zone=a');
  });

  it('restarts ended tasks by the restart condition, after the restart delay', async () => {
    await open();
    await engine.services.create({ name: 'fails', image: IMAGE, args: ['exit', '3'], restartDelay: 200e6 });
    await engine.services.create({ name: 'once', image: IMAGE, args: ['exit', '0'], restartCondition: 'on-failure', restartDelay: 1e6 });
    await engine.services.create({ name: 'capped', image: IMAGE, args: ['exit', '1'], restartDelay: 1e6, restartMaxAttempts: 2 });
    await until(() => engine.services.tasks('fails').length === 1 && !engine.services.tasks('fails')[0]!.container.State.Running);
    const first = Date.parse(engine.services.tasks('fails')[0]!.container.State.FinishedAt);
    await until(() => engine.services.tasks('fails').length === 2);
    expect(Date.parse(engine.services.tasks('fails')[1]!.container.Created) - first).toBeGreaterThanOrEqual(190);
    await until(() => engine.services.tasks('capped').length === 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(engine.services.tasks('capped')).toHaveLength(3);
    expect(engine.services.tasks('once')).toHaveLength(1);
  });

  it('scales up and down', async () => {
    await open();
    await engine.services.create({ name: 'web', image: IMAGE, args: ['spin'], replicas: 1 });
    await converged('web');
    await engine.services.scale('web', 4);
    await converged('web');
    expect(spread('web')).toEqual({ 'node-1': 2, 'node-2': 2 });
    await engine.services.scale('web', 1);
    await until(() => engine.services.tasks('web').length === 1);
    expect(engine.services.tasks('web')[0]!.slot).toBe('1');
  });

  it('reschedules the tasks of a node that goes down on the others at once', async () => {
    await open(1);
    await engine.services.create({ name: 'web', image: IMAGE, args: ['spin'], replicas: 3, restartDelay: 60e9 });
    await converged('web');
    const down = Date.now();
    engine.nodes.crash('node-2');
    await until(() => engine.services.converged('web') && !spread('web')['node-2']);
    expect(Date.now() - down).toBeLessThan(1000);
    expect(spread('web')).toEqual({ 'node-1': 2, 'node-3': 1 });
  });

  it('moves tasks off a drained node, and places none on a paused one', async () => {
    await open();
    await engine.services.create({ name: 'web', image: IMAGE, args: ['spin'], replicas: 2, stopGracePeriod: 1e9 });
    await converged('web');
    engine.nodes.update('node-1', { availability: 'drain' });
    await until(() => engine.services.converged('web') && spread('web')['node-2'] === 2);
    engine.nodes.update('node-1', { availability: 'active' });
    engine.nodes.update('node-2', { availability: 'pause' });
    await engine.services.scale('web', 3);
    await converged('web');
    expect(spread('web')).toEqual({ 'node-1': 1, 'node-2': 2 });
  });

  it('rolls an update over the tasks, and rolls back a failing one', async () => {
    await open();
    await engine.services.create({ name: 'web', image: IMAGE, args: ['spin'], replicas: 2, updateMonitor: 50e6, restartDelay: 10e6 });
    await converged('web');
    await engine.services.update('web', { envAdd: ['V=2'] });
    await until(() => engine.services.inspect('web').UpdateStatus?.State === 'completed');
    expect(
      engine.services
        .tasks('web')
        .filter((t) => t.container.State.Running)
        .map((t) => t.container.Config.Env),
    ).toEqual([expect.arrayContaining(['V=2']), expect.arrayContaining(['V=2'])]);
    await engine.services.update('web', { args: ['exit', '1'], updateFailureAction: 'rollback' });
    await until(() => engine.services.inspect('web').UpdateStatus?.State === 'rollback_completed');
    expect(engine.services.inspect('web').Spec.TaskTemplate.ContainerSpec.Args).toEqual(['spin']);
    await converged('web');
    await engine.services.update('web', { args: ['exit', '1'], updateFailureAction: 'pause' });
    await until(() => engine.services.inspect('web').UpdateStatus?.State === 'paused');
    // One batch (parallelism 1) was tried: the other task still runs the old template.
    expect(engine.services.status('web').upToDate).toBe(0);
    await engine.services.rollback('web');
    await until(() => engine.services.converged('web'));
  });

  it('keeps services across a reload: the reconciler starts again from the stored desired state', async () => {
    await open();
    await engine.services.create({ name: 'web', image: IMAGE, args: ['spin'], replicas: 3, restartCondition: 'none' });
    await converged('web');
    const dbName = engine.dbName;
    await engine.close();
    engine = await Engine.open({ dbName, nodes: 2, nodeFactory: fakeNodes().factory });
    // Tasks cut short by the reload come back even with restart condition none: they did not fail.
    await converged('web');
    expect(engine.services.tasks('web')).toHaveLength(6);
    expect(spread('web')).toEqual({ 'node-1': 2, 'node-2': 1 });
  });

  it('removes a service and its tasks; unknown services are not found', async () => {
    await open();
    await engine.services.create({ name: 'web', image: IMAGE, args: ['spin'], replicas: 2 });
    await converged('web');
    await engine.services.remove('web');
    expect(engine.containers.list({ all: true })).toEqual([]);
    expect(() => engine.services.inspect('web')).toThrow('service web not found');
    await expect(engine.services.create({ name: 'x', image: IMAGE, mode: 'global', replicas: 2 })).rejects.toThrow(
      'replicas can only be used with replicated mode',
    );
  });
});
