// docker pause / unpause over a real Engine whose nodes are fakes (fake-node.ts; `tick` prints
// nothing while paused): the state, ps, info, events, Docker's errors for each refusal, stop and
// kill of a paused container, healthchecks held by a pause, commit --pause, and a reload.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import { Engine } from '../../../engine/engine.ts';
import type { EngineEvent } from '../../../engine/events.ts';
import { containerEngine, dockerCommand, until } from '../../support/cli-helpers.ts';
import type { FakeCluster } from '../../support/fake-node.ts';

let engine: Engine;
let files: VirtualFiles;
let cluster: FakeCluster;
let events: EngineEvent[];
const docker = (line: string) => dockerCommand(engine, line, files);
const MS = 1e6;
const actions = (id: string) => events.filter((e) => e.Type === 'container' && e.Actor.ID === id).map((e) => e.Action);
const logs = async (name: string) => (await docker(`docker logs ${name}`)).stdout;

beforeEach(async () => {
  ({ engine, files, cluster } = await containerEngine());
  events = [];
  engine.onEvent((e) => events.push(e));
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 60));
  engine.close();
});

describe('docker pause and unpause', () => {
  it('pause holds the container: State, ps (Paused), the status filter, info, events; unpause lets it go on', async () => {
    expect((await docker('docker run -d --name tk test/tools tick 5')).code).toBe(0);
    await until(() => engine.containers.inspect('tk').State.Running);
    const id = engine.containers.inspect('tk').Id;
    expect(await docker('docker pause tk')).toEqual({ code: 0, stdout: 'tk\n', stderr: '' });
    expect(engine.containers.inspect('tk').State).toMatchObject({ Status: 'paused', Running: true, Paused: true });
    expect(cluster.pauses).toEqual([{ containerId: id, paused: true }]);
    expect((await docker('docker ps --format "{{.Names}} {{.Status}} {{.State}}"')).stdout).toMatch(/^tk Up .+ \(Paused\) paused\n$/);
    expect((await docker('docker ps -q --filter status=paused')).stdout).toBe(`${id.slice(0, 12)}\n`);
    expect((await docker('docker ps -q --filter status=running')).stdout).toBe('');
    expect((await docker('docker info --format "{{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}}"')).stdout).toBe('0 1 0\n');
    // Nothing more comes while it is paused.
    await new Promise((r) => setTimeout(r, 30));
    const held = await logs('tk');
    await new Promise((r) => setTimeout(r, 40));
    expect(await logs('tk')).toBe(held);

    expect(await docker(`docker unpause ${id.slice(0, 12)}`)).toEqual({ code: 0, stdout: `${id.slice(0, 12)}\n`, stderr: '' });
    expect(engine.containers.inspect('tk').State).toMatchObject({ Status: 'running', Running: true, Paused: false });
    expect((await docker('docker ps --format "{{.Status}}"')).stdout).toMatch(/^Up [^(]+\n$/);
    const before = (await logs('tk')).length;
    await new Promise((r) => setTimeout(r, 40));
    expect((await logs('tk')).length).toBeGreaterThan(before);
    expect(actions(id)).toEqual(['create', 'start', 'pause', 'unpause']);
    expect((await docker('docker info --format "{{.ContainersRunning}} {{.ContainersPaused}}"')).stdout).toBe('1 0\n');
    // Its output would outlive the engine's database.
    expect((await docker('docker rm -f tk')).code).toBe(0);
  });

  it('pauses and unpauses several containers, reporting each failure as Docker does', async () => {
    await docker('docker run -d --name ca test/tools spin');
    await docker('docker run -d --name cb test/tools spin');
    await docker('docker create --name cc test/tools spin');
    const [a, c] = ['ca', 'cc'].map((n) => engine.containers.inspect(n).Id);
    expect(await docker('docker pause ca cb cc nope')).toEqual({
      code: 1,
      stdout: 'ca\ncb\n',
      stderr: `Error response from daemon: container ${c} is not running\nError response from daemon: No such container: nope\n`,
    });
    expect(await docker('docker pause ca')).toEqual({ code: 1, stdout: '', stderr: `Error response from daemon: Container ${a} is already paused\n` });
    expect(await docker('docker unpause ca cb cc')).toEqual({
      code: 1,
      stdout: 'ca\ncb\n',
      stderr: `Error response from daemon: container ${c} is not running\n`,
    });
    expect(await docker('docker unpause ca')).toEqual({ code: 1, stdout: '', stderr: `Error response from daemon: Container ${a} is not paused\n` });
  });

  it('refuses exec, attach, start and rm of a paused container; rm -f removes it', async () => {
    await docker('docker run -d --name pz test/tools spin');
    const id = engine.containers.inspect('pz').Id;
    await docker('docker pause pz');
    expect(await docker('docker exec pz tools echo hi')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error response from daemon: Container pz is paused, unpause the container before exec\n',
    });
    expect(() => engine.containers.attach('pz', {})).toThrow('container pz is paused, unpause the container before attach');
    expect(await docker('docker start pz')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error response from daemon: cannot start a paused container, try unpause instead\nError: failed to start containers: pz\n',
    });
    expect(await docker('docker rm pz')).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error response from daemon: You cannot remove a paused container ${id}. Unpause and then stop the container before attempting removal or force remove\n`,
    });
    expect(await docker('docker rm -f pz')).toEqual({ code: 0, stdout: 'pz\n', stderr: '' });
    expect(actions(id)).toEqual(['create', 'start', 'pause', 'unpause', 'die', 'destroy']);
  });

  it('stop and kill work on a paused container: the stop signal and SIGKILL unpause it first, as Docker does', async () => {
    await docker('docker run -d --name st test/tools spin');
    const s = engine.containers.inspect('st').Id;
    await docker('docker pause st');
    expect(await docker('docker stop st')).toEqual({ code: 0, stdout: 'st\n', stderr: '' });
    expect(engine.containers.inspect('st').State).toMatchObject({ Status: 'exited', Running: false, Paused: false, ExitCode: 143 });
    expect(actions(s)).toEqual(['create', 'start', 'pause', 'kill', 'unpause', 'die', 'stop']);
    expect(cluster.pauses.filter((p) => p.containerId === s).map((p) => p.paused)).toEqual([true, false]);

    await docker('docker run -d --name kl test/tools spin');
    const k = engine.containers.inspect('kl').Id;
    await docker('docker pause kl');
    expect(await docker('docker kill kl')).toEqual({ code: 0, stdout: 'kl\n', stderr: '' });
    await until(() => !engine.containers.inspect('kl').State.Running);
    expect(engine.containers.inspect('kl').State).toMatchObject({ Status: 'exited', Paused: false, ExitCode: 137 });
    expect(actions(k)).toEqual(['create', 'start', 'pause', 'kill', 'unpause', 'die']);
    expect((await docker('docker info --format "{{.ContainersPaused}} {{.ContainersStopped}}"')).stdout).toBe('0 2\n');
  });

  it('a signal other than the stop signal leaves it paused', async () => {
    await docker('docker run -d --name us test/tools spin');
    const id = engine.containers.inspect('us').Id;
    await docker('docker pause us');
    // The fake node ends a process for any signal whose default action terminates, as WASI does.
    expect((await docker('docker kill -s USR1 us')).code).toBe(0);
    await until(() => !engine.containers.inspect('us').State.Running);
    expect(actions(id)).toEqual(['create', 'start', 'pause', 'kill', 'die']);
    expect(engine.containers.inspect('us').State).toMatchObject({ Status: 'exited', Paused: false, ExitCode: 138 });
  });

  it('a container the node cannot hold stays running, with the node’s reason', async () => {
    await docker('docker run -d --name np test/tools unpausable');
    const id = engine.containers.inspect('np').Id;
    expect(await docker('docker pause np')).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error response from daemon: cannot pause container ${id}: a WASI process can be paused only where the browser has JSPI (WebAssembly.Suspending)\n`,
    });
    expect(engine.containers.inspect('np').State).toMatchObject({ Status: 'running', Paused: false });
    expect(actions(id)).toEqual(['create', 'start']);
  });

  it('holds healthchecks while paused and goes on with the status it had', async () => {
    const { Id } = await engine.containers.create({
      image: 'test/tools',
      name: 'hc',
      cmd: ['spin'],
      healthcheck: { Test: ['CMD', 'tools.wasm', 'exit', '0'], Interval: 10 * MS },
    });
    await engine.containers.start(Id);
    await until(() => engine.containers.inspect('hc').State.Health?.Status === 'healthy');
    await docker('docker pause hc');
    const probes = engine.containers.inspect('hc').State.Health!.Log.at(-1)!.End;
    await new Promise((res) => setTimeout(res, 60));
    expect(engine.containers.inspect('hc').State.Health).toMatchObject({ Status: 'healthy' });
    expect(engine.containers.inspect('hc').State.Health!.Log.at(-1)!.End).toBe(probes);
    expect((await docker('docker ps --format "{{.Status}}"')).stdout).toMatch(/^Up .+ \(Paused\)\n$/);
    await docker('docker unpause hc');
    await until(() => engine.containers.inspect('hc').State.Health!.Log.at(-1)!.End !== probes);
    const health = events.filter((e) => e.Action.startsWith('health_status')).map((e) => e.Action);
    expect(health).toEqual(['health_status: starting', 'health_status: healthy']);
  });

  it('commit pauses a running container while it reads the layer, unless --pause=false', async () => {
    await docker('docker run -d --name cc test/tools spin');
    const id = engine.containers.inspect('cc').Id;
    const r = await docker('docker commit cc snap');
    expect(r.code, r.stderr).toBe(0);
    expect(actions(id).filter((a) => a === 'pause' || a === 'unpause')).toEqual(['pause', 'unpause']);
    expect(engine.containers.inspect('cc').State.Paused).toBe(false);
    expect((await docker('docker commit --pause=false cc snap2')).code).toBe(0);
    // One the user paused stays paused.
    await docker('docker pause cc');
    expect((await docker('docker commit cc snap3')).code).toBe(0);
    expect(engine.containers.inspect('cc').State.Paused).toBe(true);
    expect(actions(id).filter((a) => a === 'pause' || a === 'unpause')).toEqual(['pause', 'unpause', 'pause']);
  });

  it('comes back exited after a reload, as after a daemon restart', async () => {
    await docker('docker run -d --name rl test/tools spin');
    await docker('docker pause rl');
    await engine.close();
    engine = await Engine.open({ dbName: engine.dbName, nodes: 0 });
    expect(engine.containers.inspect('rl').State).toMatchObject({ Status: 'exited', Running: false, Paused: false, ExitCode: 255 });
    expect((await docker('docker info --format "{{.ContainersPaused}} {{.ContainersStopped}}"')).stdout).toBe('0 1\n');
  });
});
