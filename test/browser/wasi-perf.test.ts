// Start latency and file-reading cost, measured in Chromium: cold (a new node), warm (an idle
// process Worker ready and the module compiled), and the JSPI path against the preload
// fallback, reading and writing. Prints the figures; asserts only bounds loose enough for a busy
// 2-core machine.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openWasiSession, TOOLS, type WasiSession } from './wasi-session.ts';

let s: WasiSession;
beforeAll(async () => {
  s = await openWasiSession('wasi-perf', {});
});
afterAll(() => s?.close());

interface Figures {
  cold: number[];
  warm: number[];
  /** The process Worker's own marks for the last warm run of each path. */
  warmStats: unknown[];
  backToBack: number[];
  warmFallback: number[];
  readmany: { jspi: number[]; fallback: number[]; jspiReads: unknown; fallbackPreloaded: number };
  writemany: { jspi: number; fallback: number };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} ms (${xs.map((x) => x.toFixed(1)).join(', ')})`;

it('measures cold and warm starts, and reading and writing many files with JSPI and without', async () => {
  const f: Figures = await s.page.evaluate(async (image) => {
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const echo = { argv: ['/bin/tools.wasm', 'echo', 'hi'] };
    const warmStats: unknown[] = [];
    const firstOutput = async (node: string) => {
      const r = await N.run(node, image, echo);
      if (r.stdout !== 'hi\n') throw new Error(`unexpected output ${JSON.stringify(r)}`);
      warmStats[node === 'warm' ? 0 : 1] = r.stats;
      return r.firstOutputMs!;
    };
    const cold: number[] = [];
    for (let i = 0; i < 3; i++) {
      await N.startNode(`cold${i}`, { jspi: true });
      cold.push(await firstOutput(`cold${i}`));
      N.stopNode(`cold${i}`);
    }
    const warmOn = async (node: string, jspi: boolean) => {
      await N.startNode(node, { jspi });
      await firstOutput(node);
      const out: number[] = [];
      for (let i = 0; i < 9; i++) {
        await pause(300); // the node's next process Worker is up by now
        out.push(await firstOutput(node));
      }
      return out;
    };
    const warm = await warmOn('warm', true);
    const warmFallback = await warmOn('warm-fallback', false);
    const lastWarm = [...warmStats];
    const backToBack: number[] = [];
    for (let i = 0; i < 5; i++) backToBack.push(await firstOutput('warm'));

    const readmany = { jspi: [] as number[], fallback: [] as number[], jspiReads: undefined as unknown, fallbackPreloaded: 0 };
    for (const [node, list] of [
      ['warm', readmany.jspi],
      ['warm-fallback', readmany.fallback],
    ] as const) {
      for (let i = 0; i < 3; i++) {
        await pause(300);
        const r = await N.run(node, image, { argv: ['/bin/tools.wasm', 'readmany', '/data/small', '300'] });
        if (!r.stdout.startsWith('read 300 files')) throw new Error(JSON.stringify(r));
        // From the run message to exit: filesystem, preload (fallback), the program's reads.
        list.push(r.stats!.exited);
        if (node === 'warm') readmany.jspiReads = r.stats!.reads;
        else readmany.fallbackPreloaded = r.stats!.preloadedBytes;
      }
    }
    // Writing: each close commits under JSPI; the fallback commits once, at exit.
    const writemany = { jspi: 0, fallback: 0 };
    for (const [node, key] of [
      ['warm', 'jspi'],
      ['warm-fallback', 'fallback'],
    ] as const) {
      await pause(300);
      const r = await N.run(node, image, { argv: ['/bin/tools.wasm', 'writemany', '/tmp', '100'], containerId: `writemany-${key}` });
      if (r.stdout !== 'wrote 100 files\n') throw new Error(JSON.stringify(r));
      writemany[key] = r.stats!.exited;
    }
    return { cold, warm, warmStats: lastWarm, backToBack, warmFallback, readmany, writemany };
  }, TOOLS);

  console.log(
    [
      `cold start (new node, first run, compile) → first stdout: ${fmt(f.cold)}`,
      `warm start (idle process Worker, cached module), JSPI → first stdout: ${fmt(f.warm)}`,
      `warm start, fallback (preload) → first stdout: ${fmt(f.warmFallback)}`,
      `  process Worker marks (ms from its run message), JSPI: ${JSON.stringify(f.warmStats[0])}`,
      `  fallback: ${JSON.stringify(f.warmStats[1])}`,
      `back-to-back runs (next Worker still starting) → first stdout: ${fmt(f.backToBack)}`,
      `readmany 300 small files, run → exit, JSPI: ${fmt(f.readmany.jspi)}; reads ${JSON.stringify(f.readmany.jspiReads)}`,
      `readmany 300 small files, run → exit, fallback: ${fmt(f.readmany.fallback)}; preloaded ${f.readmany.fallbackPreloaded} bytes`,
      `writemany 100 files, run → exit (all committed): JSPI ${f.writemany.jspi.toFixed(1)} ms, fallback ${f.writemany.fallback.toFixed(1)} ms`,
    ].join('\n'),
  );
  // The target is ≤ 20 ms warm on an idle machine (see the figures above); other test runs on
  // the same two cores can slow everything several times, so only the order is checked tightly.
  expect(median(f.warm)).toBeLessThan(median(f.cold));
  expect(median(f.warm)).toBeLessThan(250);
});
