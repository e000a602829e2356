// Running WASI processes on node Workers in Chromium: output, exit statuses, args/env/cwd,
// piped stdin, failures to start, traps and the memory cap, on the JSPI path and on the
// fallback (preloaded contents, no JSPI) alike.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gzLayer, pushImage } from '../support/image-builder.ts';
import { BAD, openWasiSession, TOOLS, type WasiSession } from './wasi-session.ts';

let s: WasiSession;
beforeAll(async () => {
  s = await openWasiSession('wasi-process', { jspi: true, fallback: false });
});
afterAll(() => s?.close());

const tools = (...args: string[]) => ['/bin/tools.wasm', ...args];

describe.each(['jspi', 'fallback'])('on the %s path', (node) => {
  it('prints arguments, exits with the module status, reports the path in stats', async () => {
    const r = await s.run(node, { argv: tools('echo', 'hello', 'wasi world') });
    expect(r).toMatchObject({ stdout: 'hello wasi world\n', stderr: '', code: 0, started: true });
    expect(r.stats?.jspi).toBe(node === 'jspi');
    expect((await s.run(node, { argv: tools('exit', '42') })).code).toBe(42);
  });

  it('passes argv, env and the working directory (as PWD)', async () => {
    const args = await s.run(node, { argv: tools('args', 'a b', '', 'ü') });
    expect(args.stdout).toBe('argv[0]=/bin/tools.wasm\nargv[1]=args\nargv[2]=a b\nargv[3]=\nargv[4]=ü\n');
    const env = await s.run(node, { argv: tools('env'), env: ['PATH=/bin', 'GREETING=hi there'] });
    expect(env.stdout.split('\n')).toEqual(expect.arrayContaining(['PATH=/bin', 'GREETING=hi there', 'PWD=/']));
    const pwd = await s.run(node, { argv: tools('pwd'), cwd: '/data/small' });
    expect(pwd.stdout).toBe('/data/small\n');
    // A relative path resolves against the working directory.
    const cat = await s.run(node, { argv: tools('cat', '0002.txt'), cwd: '/data/small' });
    expect(cat.stdout).toBe('small file 0002\n');
  });

  it('finds a command name through PATH and follows the symlink to it', async () => {
    const r = await s.run(node, { argv: ['tools', 'echo', 'via PATH'], env: ['PATH=/usr/bin:/bin'] });
    expect(r).toMatchObject({ stdout: 'via PATH\n', code: 0 });
  });

  it('reads piped stdin to its end', async () => {
    const r = await s.run(node, { argv: tools('stdin'), stdin: 'line one\nline two\n' });
    expect(r).toMatchObject({ stdout: 'line one\nline two\n', code: 0 });
    // Without openStdin, stdin is at its end at once.
    expect(await s.run(node, { argv: tools('cat') })).toMatchObject({ stdout: '', code: 0 });
  });

  it('sleeps on a clock without spinning the process to death', async () => {
    const r = await s.run(node, { argv: tools('sleep', '60') });
    expect(r).toMatchObject({ stdout: 'slept\n', code: 0 });
    // Timed in the process Worker: the page may take the start and exit events late, together.
    expect(r.stats!.exited - r.stats!.started).toBeGreaterThanOrEqual(55);
  });

  it('reports a trap as 134 with its message', async () => {
    const r = await s.run(node, { argv: tools('trap') });
    expect(r.code).toBe(134);
    expect(r.error).toMatch(/unreachable/);
  });

  it('fails to start with 126 (unknown import, not wasm) and 127 (no such file)', async () => {
    const link = await s.run(node, { argv: ['/bin/unknown-import.wasm'] }, BAD);
    expect(link).toMatchObject({ code: 126, started: false });
    expect(link.error).toContain('unknown import: env.foo');
    const notWasm = await s.run(node, { argv: ['/bin/not-wasm.wasm'] }, BAD);
    expect(notWasm).toMatchObject({ code: 126, started: false });
    expect(notWasm.error).toContain('exec format error');
    const missing = await s.run(node, { argv: ['/bin/nope.wasm'] });
    expect(missing).toMatchObject({ code: 127, started: false });
    expect(missing.error).toContain('/bin/nope.wasm: no such file or directory');
    expect((await s.run(node, { argv: ['nope'] })).error).toContain('executable file not found in $PATH');
    expect((await s.run(node, { argv: ['/data'] })).code).toBe(126);
  });

  it('runs the next process in the Worker of one that exited by itself, never in a killed one', async () => {
    const first = await s.run(node, { argv: tools('echo', 'one') });
    const second = await s.run(node, { argv: tools('echo', 'two') });
    expect(second.stdout).toBe('two\n');
    expect(second.stats?.workerRuns).toBe(first.stats!.workerRuns + 1);
    // The next one waits for its input in that Worker (under JSPI, through what the last one used).
    const third = await s.run(node, { argv: tools('stdin'), stdin: 'three\n' });
    expect(third).toMatchObject({ stdout: 'three\n', code: 0 });
    expect(third.stats?.workerRuns).toBe(first.stats!.workerRuns + 2);
    const id = await s.page.evaluate(([n, image]) => N.start(n!, image!, { argv: ['/bin/tools.wasm', 'spin'] }), [node, TOOLS]);
    await s.page.evaluate((id) => N.waitFor(id, 'spinning'), id);
    await s.page.evaluate((id) => N.kill(id, 9), id);
    expect((await s.page.evaluate((id) => N.result(id), id)).code).toBe(137);
    const after = await s.run(node, { argv: tools('echo', 'three') });
    expect(after.stats?.workerRuns).toBe(1);
  });

  it('starts a new container with no IndexedDB read once its Worker holds the image', async () => {
    await s.run(node, { argv: tools('echo', 'one') });
    const again = await s.run(node, { argv: tools('echo', 'two') });
    expect(again).toMatchObject({ stdout: 'two\n', code: 0 });
    expect(again.stats?.viewReads).toBe(0);
    // A container that has a writable layer reads it (its index, rebuilt when missing).
    const id = `layered-${node}`;
    expect((await s.run(node, { argv: tools('write', '/tmp/kept', 'kept'), containerId: id })).code).toBe(0);
    const kept = await s.run(node, { argv: tools('cat', '/tmp/kept'), containerId: id });
    expect(kept.stdout).toBe('kept\n');
    expect(kept.stats?.viewReads).toBeGreaterThan(0);
  });

  it('caps memory: within the limit it runs, beyond it the process is OOM-killed', async () => {
    const ok = await s.run(node, { argv: tools('alloc', '8'), memoryLimit: 32 << 20 });
    expect(ok).toMatchObject({ stdout: 'allocated 8 MiB\n', code: 0 });
    const oom = await s.run(node, { argv: tools('alloc', '64'), memoryLimit: 16 << 20 });
    expect(oom).toMatchObject({ code: 137, oomKilled: true });
    expect(oom.error).toMatch(/memory limit of 16777216 bytes/);
    expect(oom.stderr).toMatch(/out of memory after 1[45] MiB/);
  });
});

// A WASI command whose fd_read import takes one i32, where WASI's takes four: fine for a plain JS
// import (the fallback), refused at link time by the trampoline JSPI imports it through.
const name = (t: string) => [t.length, ...Buffer.from(t)];
const section = (id: number, body: number[]) => [id, body.length, ...body];
const ODD_SIGNATURE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00,
  ...section(1, [2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 0, 0]), // (i32) → i32; () → ()
  ...section(2, [1, ...name('wasi_snapshot_preview1'), ...name('fd_read'), 0x00, 0]),
  ...section(3, [1, 1]),
  ...section(5, [1, 0x00, 1]), // one memory of one page
  ...section(7, [2, ...name('_start'), 0x00, 1, ...name('memory'), 0x02, 0]),
  ...section(10, [1, 2, 0, 0x0b]),
]);

it('refuses under JSPI, with 126 and the linker’s message, a module importing a syscall with another signature', async () => {
  const img = await pushImage(
    inject('registry'),
    'bad/wasi-signature',
    [
      gzLayer([
        { name: 'bin/', type: 'dir' },
        { name: 'bin/odd.wasm', data: ODD_SIGNATURE },
      ]),
    ],
    { os: 'wasi', architecture: 'wasm' },
  );
  await s.page.evaluate((ref) => E.images.pull(ref).then(() => undefined), img.ref);
  const r = await s.run('jspi', { argv: ['/bin/odd.wasm'] }, img.ref);
  expect(r).toMatchObject({ code: 126, started: false });
  expect(r.error).toMatch(/^exec \/bin\/odd\.wasm: .*"fd_read": imported function does not match the expected type/);
  // The engine and the other processes carry on.
  expect((await s.run('jspi', { argv: tools('echo', 'still here') })).stdout).toBe('still here\n');
});

describe('a run that goes straight to the reserved process Worker', () => {
  it('runs through the node instead when the reservation is gone before the run comes', async () => {
    await s.page.evaluate(() => N.startNode('dropped', { jspi: true }));
    await s.page.evaluate(() => N.dropReservation('dropped'));
    const r = await s.run('dropped', { argv: tools('echo', 'through the node') });
    expect(r).toMatchObject({ stdout: 'through the node\n', code: 0 });
    expect(r.stats?.jspi).toBe(false);
    await s.page.evaluate(() => N.stopNode('dropped'));
  });

  it('still counts a run whose exit reached the node before the claim: its Worker takes the next run', async () => {
    await s.page.evaluate(() => N.startNode('raw', { jspi: true, direct: false }));
    const early = await s.page.evaluate((image) => N.runBeforeClaim('raw', image, { argv: ['/bin/tools.wasm', 'echo', 'early'] }), TOOLS);
    expect(early).toMatchObject({ stdout: 'early\n', code: 0, claimed: true });
    const next = await s.run('raw', { argv: tools('echo', 'next') });
    expect(next.stdout).toBe('next\n');
    expect(next.stats?.workerRuns).toBe(early.workerRuns! + 1);
    await s.page.evaluate(() => N.stopNode('raw'));
  });
});
