// Interactive containers on a terminal: run -it, run -i, exec -it, start -ai, attach; the CLI's
// line discipline, Ctrl-C as SIGINT, Ctrl-D as end of input, terminal sizes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerCommand, runDocker } from '../../../cli/docker.ts';
import type { Engine } from '../../../engine/engine.ts';
import { containerEngine, FakeTerminal, until } from '../../support/cli-helpers.ts';
import type { FakeCluster } from '../../support/fake-node.ts';

let engine: Engine;
let cluster: FakeCluster;
let term: FakeTerminal;
const run = (line: string) => runDocker(engine, line, term.io);

beforeEach(async () => {
  ({ engine, cluster } = await containerEngine());
  term = new FakeTerminal();
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 60));
  engine.close();
});

describe('interactive containers', () => {
  it('run -it: keystrokes are echoed and edited, Enter sends the line', async () => {
    const done = run('docker run -it --name chat test/tools prompt');
    await until(() => term.stdout === '> ');
    await term.type('bx\x7fob\r');
    await until(() => term.stdout.endsWith('you said: bob\n> '));
    await term.type('\x04');
    expect(await done).toBe(0);
    expect(term.stdout).toBe('> bx\b \bob\nyou said: bob\n> bye\n');
    expect(cluster.stdin.map((s) => s.data)).toEqual(['bob\n', null]);
    // The terminal is handed back.
    expect(term.reading).toBe(false);
  });

  it('run -i on a terminal: Ctrl-D ends the input', async () => {
    const done = run('docker run -i test/tools cat');
    await term.type('abc\r');
    await until(() => term.stdout === 'abc\nabc\n');
    await term.type('\x04');
    expect(await done).toBe(0);
    expect(cluster.stdin.at(-1)).toMatchObject({ data: null });
  });

  it('Ctrl-C interrupts the container (exit 130)', async () => {
    const done = run('docker run -it --name spinner test/tools spin');
    await term.type('\x03');
    expect(await done).toBe(130);
    expect(term.stdout).toBe('spinning\n^C\n');
    expect(cluster.signals).toMatchObject([{ signal: 2 }]);
    expect(engine.containers.inspect('spinner').State.ExitCode).toBe(130);
  });

  it('gives the container the terminal’s size, and its changes', async () => {
    const done = run('docker run -t -i test/tools spin');
    await until(() => cluster.resizes.length === 1);
    term.resize(120, 40);
    await until(() => cluster.resizes.length === 2);
    expect(cluster.resizes.map((r) => [r.columns, r.rows])).toEqual([
      [100, 30],
      [120, 40],
    ]);
    expect(cluster.spawned[0]).toMatchObject({ tty: true, openStdin: true });
    await term.type('\x03');
    expect(await done).toBe(130);
  });

  it('with -t, the container’s stderr comes out on the one terminal stream', async () => {
    expect(await run('docker run -t test/tools both')).toBe(0);
    expect(term.stdout).toBe('to stdout\nto stderr\n');
    expect(term.stderr).toBe('');
  });

  it('exec -it and start -ai', async () => {
    await dockerCommand(engine, 'docker run -d --name box test/tools spin');
    let done = run('docker exec -it box tools.wasm prompt');
    await until(() => term.stdout === '> ');
    await term.type('ann\r');
    await until(() => term.stdout.endsWith('> '));
    await term.type('\x04');
    expect(await done).toBe(0);
    expect(term.stdout).toBe('> ann\nyou said: ann\n> bye\n');

    term = new FakeTerminal();
    await dockerCommand(engine, 'docker create -it --name later test/tools prompt');
    done = run('docker start -ai later');
    await until(() => term.stdout === '> ');
    await term.type('joe\r');
    await until(() => term.stdout.endsWith('> '));
    await term.type('\x04');
    expect(await done).toBe(0);
    expect(term.stdout).toBe('> joe\nyou said: joe\n> bye\n');
  });

  it('attach connects to a running container', async () => {
    await dockerCommand(engine, 'docker run -d -i --name cat test/tools cat');
    const done = run('docker attach cat');
    await term.type('hi\r\x04');
    expect(await done).toBe(0);
    expect(term.stdout).toBe('hi\nhi\n');
    await dockerCommand(engine, 'docker create --name idle test/tools');
    expect(await dockerCommand(engine, 'docker attach idle')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'You cannot attach to a stopped container, start it first\n',
    });
  });
});
