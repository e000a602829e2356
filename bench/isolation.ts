// bench/isolation: the same static build (`npm run build`'s site) served twice by a plain static
// server, once as GitHub Pages would (no headers) and once with COOP/COEP, so the page is
// cross-origin isolated: the embed page's three sandboxes from a cold start (storage cleared),
// the demo's engine opening on a new database, a warm WASI `docker run` and a warm x86 one.
// Isolated against plain, in the same run, rounds alternating between the two.
// Nothing in the engine needs isolation or uses what it unlocks (SharedArrayBuffer, Atomics.wait
// on the page's memory): buffers are transferred, not shared, and WASI blocks with JSPI, so the
// ratios say whether isolation costs or gains anything on its own.
// Run: npx tsx bench/isolation.ts   (after `npm test` set-up)   ROUNDS=3
import type { ContainerSandbox } from '../element/index.ts';
import { type BrowserSession, launchChromium } from '../test/support/chromium.ts';
import { buildSite } from '../test/support/site-build.ts';
import { serveStatic } from '../test/support/static-server.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const WARM_RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const progress = (s: string) => process.stderr.write(`[bench:isolation] ${s}\n`);

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
type Mode = 'plain' | 'isolated';
const FIGURES = ['three sandboxes, cold', 'engine open, new database', 'WASI docker run, warm', 'x86 docker run, warm'] as const;
type Figure = (typeof FIGURES)[number];

progress('building the site');
const site = await buildSite();
const servers = { plain: await serveStatic(site.dir), isolated: await serveStatic(site.dir, ISOLATION) };
const sessions: Record<Mode, BrowserSession> = { plain: await launchChromium(), isolated: await launchChromium() };
const times: Record<Mode, Record<Figure, number[]>> = {
  plain: Object.fromEntries(FIGURES.map((f) => [f, []])) as unknown as Record<Figure, number[]>,
  isolated: Object.fromEntries(FIGURES.map((f) => [f, []])) as unknown as Record<Figure, number[]>,
};

async function round(mode: Mode, n: number): Promise<void> {
  const { page, context } = sessions[mode];
  const origin = servers[mode].url;
  // Cold: no database, no cached site, no Service Worker.
  await page.goto('about:blank');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'all' });
  await cdp.detach();

  await page.goto(`${origin}/examples/embed.html`);
  const isolated = await page.evaluate(() => crossOriginIsolated);
  if (isolated !== (mode === 'isolated')) throw new Error(`${mode}: crossOriginIsolated is ${isolated}`);
  const sandboxes = await page.evaluate(async () => {
    const t0 = performance.now();
    const codes = await Promise.all(['hello', 'ruby', 'busybox'].map((id) => (document.getElementById(id) as ContainerSandbox).run()));
    return { codes, ms: performance.now() - t0 };
  });
  if (sandboxes.codes.some((c) => c !== 0)) throw new Error(`${mode}: sandboxes exited ${sandboxes.codes}`);
  times[mode]['three sandboxes, cold'].push(sandboxes.ms);

  const t0 = performance.now();
  await page.goto(`${origin}/demo/?db=iso-${n}`);
  await page.evaluate(() => (window as unknown as { engineReady: Promise<void> }).engineReady);
  times[mode]['engine open, new database'].push(performance.now() - t0);

  const runs = await page.evaluate(
    async ({ warmRuns }) => {
      const docker = (window as unknown as { docker(c: string): Promise<{ code: number; stderr: string }> }).docker;
      const timed = async (cmd: string) => {
        const t = performance.now();
        const r = await docker(cmd);
        if (r.code !== 0) throw new Error(`${cmd}: ${r.stderr}`);
        return performance.now() - t;
      };
      const warm = async (cmd: string) => {
        await timed(cmd);
        const ms: number[] = [];
        for (let i = 0; i < warmRuns; i++) ms.push(await timed(cmd));
        return ms;
      };
      return { wasi: await warm('docker run --rm hello'), x86: await warm('docker run --rm busybox echo hi') };
    },
    { warmRuns: WARM_RUNS },
  );
  times[mode]['WASI docker run, warm'].push(median(runs.wasi));
  times[mode]['x86 docker run, warm'].push(median(runs.x86));
  progress(`round ${n} ${mode}: ${FIGURES.map((f) => `${f} ${times[mode][f].at(-1)!.toFixed(0)} ms`).join(', ')}`);
}

try {
  for (let n = 1; n <= ROUNDS; n++) {
    // Which mode goes first alternates, so neither always runs on a machine the other warmed.
    for (const mode of n % 2 ? (['plain', 'isolated'] as const) : (['isolated', 'plain'] as const)) await round(mode, n);
  }
  console.log(`cross-origin isolation (COOP/COEP) against none, same static build, medians of ${ROUNDS} rounds:`);
  for (const f of FIGURES) {
    const plain = median(times.plain[f]);
    const isolated = median(times.isolated[f]);
    console.log(
      `  ${f.padEnd(28)} plain ${plain.toFixed(1).padStart(7)} ms   isolated ${isolated.toFixed(1).padStart(7)} ms   = ${(isolated / plain).toFixed(2)}×`,
    );
  }
} finally {
  await sessions.plain.close();
  await sessions.isolated.close();
  await servers.plain.close();
  await servers.isolated.close();
  await site.remove();
}
