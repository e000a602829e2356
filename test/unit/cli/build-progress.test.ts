// BuildKit's terminal display: a block redrawn in place (cursor up, clear line), one line per step
// with its time, the last output lines of a running step, FINISHED at the end, and a failed step's
// output after the block; and `docker build --progress=tty|rawjson` choosing the displays.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TtyBuildProgress } from '../../../cli/build-progress.ts';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import type { Engine } from '../../../engine/engine.ts';
import { containerEngine, dockerCommand } from '../../support/cli-helpers.ts';

/** What a terminal shows after `out`: cursor-up and clear-line applied, as xterm does. */
function screen(out: string): string[] {
  const rows: string[] = [];
  let row = 0;
  for (const token of out.split(/(\x1b\[\d*A|\x1b\[2K|\n)/)) {
    if (token === '\n') row++;
    else if (/^\x1b\[\d*A$/.test(token)) row -= Number(token.slice(2, -1) || 1);
    else if (token === '\x1b[2K') rows[row] = '';
    else if (token) rows[row] = (rows[row] ?? '') + token;
  }
  return rows.slice(0, row).map((r) => r ?? '');
}

describe('TtyBuildProgress', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('redraws the block in place and leaves the final frame, a failed step’s output below it', () => {
    let out = '';
    const p = new TtyBuildProgress((s) => (out += s), 80);
    const enc = new TextEncoder();
    p.onProgress({ kind: 'vertex', id: 1, name: '[internal] load build definition from Dockerfile', status: 'started' });
    p.onProgress({ kind: 'vertex', id: 1, name: '', status: 'done', elapsed: 0.01 });
    p.onProgress({ kind: 'vertex', id: 2, name: '[1/3] FROM busybox', status: 'started' });
    p.onProgress({ kind: 'vertex', id: 2, name: '', status: 'cached', elapsed: 0 });
    p.onProgress({ kind: 'vertex', id: 3, name: '[2/3] RUN make', status: 'started' });
    p.onProgress({ kind: 'log', id: 3, stream: 'stdout', data: enc.encode('compiling a\ncompiling b\n'), elapsed: 0.2 });
    vi.advanceTimersByTime(200);
    const running = screen(out);
    expect(running[0]).toMatch(/^\[\+\] Building \d+\.\ds \(2\/3\)$/);
    expect(running.slice(1)).toEqual([
      expect.stringMatching(/^ => \[internal\] load build definition from Dockerfile +0\.0s$/),
      expect.stringMatching(/^ => CACHED \[1\/3\] FROM busybox +0\.0s$/),
      expect.stringMatching(/^ => \[2\/3\] RUN make +\d+\.\ds$/),
      ' => => # compiling a',
      ' => => # compiling b',
    ]);
    expect(running.every((l) => l.length < 80)).toBe(true);
    p.onProgress({ kind: 'log', id: 3, stream: 'stderr', data: enc.encode('make: *** [all] Error 2\n'), elapsed: 0.3 });
    p.onProgress({ kind: 'vertex', id: 3, name: '', status: 'error', elapsed: 0.4, error: 'exit code: 2' });
    p.finish();
    const final = screen(out);
    expect(final[0]).toMatch(/^\[\+\] Building \d+\.\ds \(3\/3\) FINISHED$/);
    expect(final[3]).toMatch(/^ => ERROR \[2\/3\] RUN make +0\.4s$/);
    // The running step's output lines are gone from the block, and follow it for the failed step.
    expect(final.slice(4)).toEqual(['------', ' > [2/3] RUN make:', 'compiling a', 'compiling b', 'make: *** [all] Error 2', '------']);
    vi.advanceTimersByTime(1000);
    expect(screen(out)).toEqual(final);
  });
});

describe('docker build --progress', () => {
  let engine: Engine;
  let files: VirtualFiles;
  beforeEach(async () => {
    ({ engine, files } = await containerEngine());
    files.set('ctx/Dockerfile', new TextEncoder().encode('FROM test/tools\nLABEL a=b\n'));
  });
  afterEach(() => engine.close());

  it('tty draws the block; rawjson prints one JSON status per line; an unknown mode is refused', async () => {
    const tty = await dockerCommand(engine, 'docker build --progress=tty ctx', files);
    expect(tty.code, tty.stderr).toBe(0);
    expect(screen(tty.stderr)[0]).toMatch(/^\[\+\] Building \d+\.\ds \(\d+\/\d+\) FINISHED$/);
    expect(screen(tty.stderr)).toContainEqual(expect.stringMatching(/^ => (CACHED )?\[1\/1\] FROM test\/tools +\d+\.\ds$/));
    const raw = await dockerCommand(engine, 'docker build --progress=rawjson ctx', files);
    const lines = raw.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { vertexes?: { name: string; status: string }[] });
    expect(lines.find((l) => l.vertexes?.[0]?.name === '[1/1] FROM test/tools')?.vertexes?.[0]?.status).toBe('started');
    expect((await dockerCommand(engine, 'docker build --progress=fancy ctx', files)).stderr).toContain('invalid progress mode "fancy"');
  });
});
