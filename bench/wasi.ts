// bench/wasi: WASI containers in Chromium against the bare @bjorn3/browser_wasi_shim running the
// same module in a Worker of the same page (bench/wasi-shim-worker.ts), and against the same C
// program built natively. Figures are medians of rounds measured in this one run; the ratios are
// what to read (absolute times swing several-fold on a busy 2-core machine).
//   (a) run → first stdout of `tools echo hi`: cold (new node) and warm, JSPI and fallback
//   (b) a CPU-bound loop (`tools cpu N`): container vs bare shim vs native
//   (c) open+read of 2,500 small files written earlier by the container, vs the shim's memory fs
//   (d) start time from a 200 MB image vs a 1 MB image
// Run: npx tsx bench/wasi.ts   (after `npm test` set-up: the fixtures in .cache/fixtures)
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { launchChromium, openHarness } from '../test/support/chromium.ts';
import { makeTar, pushImage, type RawEntry } from '../test/support/image-builder.ts';
import type { Outcome } from '../test/support/node-harness-types.ts';
import { blobDataPath, fixturesDir, loadFixtures, startRegistry } from '../test/support/registry.ts';
import { startViteServer } from '../test/support/vite-server.ts';
import type { BareHarness, BareRun } from './wasi-page.ts';

declare global {
  var BW: BareHarness;
}

const ROUNDS = Number(process.env.ROUNDS ?? 7);
/** Passes of `tools cpu`: ~0.25 s natively here; the loop is also timed alone, without start and exit. */
const CPU_PASSES = Number(process.env.CPU_PASSES ?? 3000);
const FILES = 2500;
/** (c)'s runs vary with garbage collection (one in five took 3× the median), so it takes more. */
const FILE_ROUNDS = ROUNDS + 4;
const BIG_MB = Number(process.env.BIG_MB ?? 200);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cacheDir = path.join(root, '.cache/bench-wasi');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (s: string) => process.stderr.write(`[bench:wasi] ${s}\n`);

// ---------------------------------------------------------------- inputs: the module, native build
const fixtureData = path.join(fixturesDir(), 'registry-data');
const tools = loadFixtures().images['fixtures/wasi-tools:latest'];
if (!tools?.layers) throw new Error('fixtures/wasi-tools is missing: run `bash scripts/setup.sh --test`');
const toolsLayers = tools.layers.map((l) => ({ blob: readFileSync(blobDataPath(fixtureData, l.digest)), diffId: l.diffId }));
// The bare shim runs the very bytes the container runs: /bin/tools.wasm out of the image's layer.
const toolsWasm = execFileSync('tar', ['-xzOf', blobDataPath(fixtureData, tools.layers[0]!.digest), 'bin/tools.wasm'], { maxBuffer: 64 << 20 });
if (!/\bcpu\b/.test(toolsWasm.toString('latin1')))
  throw new Error('tools.wasm has no `cpu` command: rebuild the fixtures (bash test/fixtures/build-images.sh)');
mkdirSync(cacheDir, { recursive: true });
const nativeTools = path.join(cacheDir, 'tools-native');
// Same compiler and level as the fixture's wasm build (clang -O2), for the host.
execFileSync('clang', ['-O2', '-o', nativeTools, path.join(root, 'test/fixtures/src/tools.c')]);

// ---------------------------------------------------------------- images for (d): tools + 1 MB / 200 MB
function dataLayer(mb: number): { blob: Uint8Array; diffId: string } {
  const entries: RawEntry[] = [{ name: 'bigdata/', type: 'dir' }];
  for (let i = 0; i < mb; i++) entries.push({ name: `bigdata/r${String(i).padStart(4, '0')}.bin`, data: randomBytes(1 << 20) });
  const tar = makeTar(entries);
  // Level 1: random data does not compress anyway; this only saves set-up time.
  const blob = gzipSync(tar, { level: 1 });
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  return { blob, diffId };
}

/** The native build: ms to exit and to its first output, from the spawn. */
function native(args: string[]): Promise<{ exitMs: number; firstOutputMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first: number | undefined;
    const p = spawn(nativeTools, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.on('data', () => (first ??= performance.now() - t0));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 && first !== undefined ? resolve({ exitMs: performance.now() - t0, firstOutputMs: first }) : reject(new Error(`native exit ${code}`)),
    );
  });
}

const regDir = mkdtempSync(path.join(os.tmpdir(), 'bench-wasi-registry-'));
const reg = await startRegistry({ dataDir: fixtureData, readOnly: true });
const scratch = await startRegistry({ dataDir: regDir });
const vite = await startViteServer();
const baseUrl = vite.baseUrl;
const s = await launchChromium();
await s.context.route('**/bench-wasi/tools.wasm', (route) => route.fulfill({ body: toolsWasm, contentType: 'application/wasm' }));

const TOOLS = `${reg.host}/fixtures/wasi-tools:latest`;
const ECHO = ['/bin/tools.wasm', 'echo', 'hi'];

/** A process on a node of a harness page (node-harness.ts), checked to have run as expected. */
async function container(node: string, argv: string[], expect: RegExp, opts: { image?: string; containerId?: string; page?: Page } = {}): Promise<Outcome> {
  const r = await (opts.page ?? s.page).evaluate(
    ([node, image, argv, containerId]) =>
      N.run(node!, image as string, { argv: argv as string[], ...(containerId ? { containerId: containerId as string } : {}) }),
    [node, opts.image ?? TOOLS, argv, opts.containerId] as const,
  );
  if (r.code !== 0 || !expect.test(r.stdout)) throw new Error(`${node}: ${argv.join(' ')}: ${JSON.stringify(r)}`);
  return r;
}

/** The harness page on database `db` with node-harness.ts and wasi-page.ts loaded and `refs` pulled; ms per pull. */
async function preparePage(page: Page, db: string, refs: string[]): Promise<number[]> {
  await openHarness(page, baseUrl, db);
  await page.addScriptTag({ type: 'module', url: '/test/browser/node-harness.ts' });
  await page.addScriptTag({ type: 'module', url: '/bench/wasi-page.ts' });
  await page.waitForFunction(() => 'N' in window && 'BW' in window);
  return page.evaluate(async (refs) => {
    globalThis.E = await T.open({ nodes: 0 });
    const ms: number[] = [];
    for (const ref of refs) {
      const t = performance.now();
      await E.images.pull(ref);
      ms.push(performance.now() - t);
    }
    return ms;
  }, refs);
}

/** A run of the bare shim (wasi-page.ts), checked like container(). */
async function bare(kind: 'cold' | 'warm' | 'warmBesideBoot', argv: string[], expect: RegExp): Promise<BareRun> {
  const r = await s.page.evaluate(([kind, argv]) => BW[kind](argv), [kind, argv] as const);
  if (r.code !== 0 || !expect.test(r.stdout)) throw new Error(`bare ${kind}: ${argv.join(' ')}: ${JSON.stringify(r)}`);
  return r;
}

const out: string[] = [];
const say = (line = '') => out.push(line);
const fmt = (xs: number[]) => `${median(xs).toFixed(1).padStart(8)} ms  (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)}, n=${xs.length})`;
const row = (label: string, xs: number[]) => say(`  ${label.padEnd(46)}${fmt(xs)}`);
const ratio = (label: string, a: number[], b: number[], target?: string) =>
  say(`  ${label.padEnd(46)}${(median(a) / median(b)).toFixed(2).padStart(8)}×${target ? `  (target ${target})` : ''}`);

try {
  const t0 = performance.now();
  progress('building the 1 MB and 200 MB images');
  const small = await pushImage(scratch.host, 'bench/small', [...toolsLayers, dataLayer(1)], { os: 'wasi', architecture: 'wasm' });
  const big = await pushImage(scratch.host, 'bench/big', [...toolsLayers, dataLayer(BIG_MB)], { os: 'wasi', architecture: 'wasm' });

  progress('pulling the images');
  const pulls = await preparePage(s.page, 'bench-wasi', [TOOLS, small.ref, big.ref]);
  const wasmBytes = await s.page.evaluate(() => BW.init('/bench-wasi/tools.wasm'));

  // ------------------------------------------------------------ (a) start → first stdout
  progress('(a) cold and warm starts');
  // One of each first, not timed: Vite transforms the Worker modules on their first request.
  await s.page.evaluate(() => N.startNode('warmup', { jspi: true }));
  await container('warmup', ECHO, /^hi\n$/);
  await s.page.evaluate(() => N.stopNode('warmup'));
  await bare('cold', ECHO, /^hi\n$/);

  const cold = { run: [] as number[], withNode: [] as number[], bare: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    // A new node: its Worker is up, its first process Worker still loading, nothing compiled.
    const node = `cold${i}`;
    const tNode = await s.page.evaluate(async (node) => {
      const t = performance.now();
      await N.startNode(node, { jspi: true });
      return performance.now() - t;
    }, node);
    const r = await container(node, ECHO, /^hi\n$/);
    cold.run.push(r.firstOutputMs!);
    cold.withNode.push(tNode + r.firstOutputMs!);
    await s.page.evaluate((node) => N.stopNode(node), node);
    await sleep(200);
    cold.bare.push((await bare('cold', ECHO, /^hi\n$/)).firstOutputMs!);
    await sleep(200);
  }

  const modes = await s.page.evaluate(async () => [(await N.startNode('jspi', { jspi: true })).jspi, (await N.startNode('fallback', { jspi: false })).jspi]);
  if (!modes[0] || modes[1]) throw new Error(`nodes: wanted JSPI on and off, got ${JSON.stringify(modes)}`);
  await container('jspi', ECHO, /^hi\n$/); // compiles; the node keeps the module
  await container('fallback', ECHO, /^hi\n$/);
  await s.page.evaluate((n) => BW.prepareWarm('/tmp', n), FILES);
  await bare('warm', ECHO, /^hi\n$/);
  const warm = { jspi: [] as number[], fallback: [] as number[], bare: [] as number[], marks: [] as unknown[] };
  const warmRounds = ROUNDS + 2;
  for (let i = 0; i < warmRounds; i++) {
    // 300 ms apart: the node has its next process Worker up and its database open by then.
    await sleep(300);
    const r = await container('jspi', ECHO, /^hi\n$/);
    warm.jspi.push(r.firstOutputMs!);
    warm.marks = [r.stats];
    await sleep(300);
    warm.fallback.push((await container('fallback', ECHO, /^hi\n$/)).firstOutputMs!);
    await sleep(300);
    warm.bare.push((await bare('warm', ECHO, /^hi\n$/)).firstOutputMs!);
  }
  // Back to back: the next process Worker is still starting when the run comes.
  await sleep(300);
  const backToBack: number[] = [];
  for (let i = 0; i < ROUNDS; i++) backToBack.push((await container('jspi', ECHO, /^hi\n$/)).firstOutputMs!);

  // As a user types it: the CLI and the engine (a container record, the entrypoint looked up,
  // placement, the process, its exit stored), on the demo page with its two nodes. Closed after,
  // so its Workers take no CPU from what follows.
  const demo = await s.context.newPage();
  await demo.goto(`${baseUrl}/demo/index.html?db=bench-wasi-engine&noproxy`);
  await demo.evaluate(() => window.engineReady);
  const cli = (cmd: string) =>
    demo.evaluate(async (c) => {
      const t = performance.now();
      const r = await window.docker(c);
      return { ...r, ms: performance.now() - t };
    }, cmd);
  if ((await cli(`docker pull -q ${TOOLS}`)).code !== 0) throw new Error('demo page: pull failed');
  const viaCli = { run: [] as number[], rm: [] as number[] };
  for (let i = 0; i < warmRounds; i++) {
    for (const [k, cmd] of [
      ['run', `docker run ${TOOLS} echo hi`],
      ['rm', `docker run --rm ${TOOLS} echo hi`],
    ] as const) {
      await sleep(300);
      const r = await cli(cmd);
      if (r.code !== 0 || r.stdout !== 'hi\n') throw new Error(`demo page: ${cmd}: ${JSON.stringify(r)}`);
      viaCli[k].push(r.ms);
    }
  }
  await demo.close();

  // ------------------------------------------------------------ (b) CPU-bound
  progress('(b) CPU-bound loop');
  const CPU = ['/bin/tools.wasm', 'cpu', String(CPU_PASSES)];
  const expected = execFileSync(nativeTools, ['cpu', String(CPU_PASSES)]).toString();
  const sum = new RegExp(`^${expected}$`);
  // Untimed runs first: V8 runs a module's first call in its baseline tier (a loop cannot switch
  // tiers while it runs); later instances get the optimized code.
  await container('jspi', CPU, sum);
  await container('fallback', CPU, sum);
  await bare('warm', CPU, sum);
  // Run → exit, and the loop alone: from its "cpu: start" line to exit.
  type Timed = { exitMs: number; firstOutputMs?: number };
  const cpu = { container: [] as Timed[], fallback: [] as Timed[], bare: [] as Timed[], bareBoot: [] as Timed[], native: [] as Timed[] };
  for (let i = 0; i < Math.min(ROUNDS, 5); i++) {
    await sleep(300);
    cpu.container.push(await container('jspi', CPU, sum));
    await sleep(300);
    cpu.fallback.push(await container('fallback', CPU, sum));
    cpu.bare.push(await bare('warm', CPU, sum));
    await sleep(300);
    cpu.bareBoot.push(await bare('warmBesideBoot', CPU, sum));
    cpu.native.push(await native(['cpu', String(CPU_PASSES)]));
  }
  const total = (xs: Timed[]) => xs.map((x) => x.exitMs);
  const loop = (xs: Timed[]) => xs.map((x) => x.exitMs - x.firstOutputMs!);

  // ------------------------------------------------------------ (c) 2,500 small files
  progress(`(c) ${FILES} small files`);
  // As a JSPI process writes them: closes are committed in batches, appending to its growing pack.
  const WRITE = ['/bin/tools.wasm', 'writemany', '/tmp', String(FILES)];
  const wroteJspi = (await container('jspi', WRITE, /^wrote/, { containerId: 'many' })).exitMs;
  // The same files committed at once (a fallback process commits at exit): one pack. Equal
  // contents are stored once, so this needs a database of its own: a second tab.
  const onePackPage = await s.context.newPage();
  await preparePage(onePackPage, 'bench-wasi-one-pack', [TOOLS]);
  await onePackPage.evaluate(async () => void (await Promise.all([N.startNode('jspi', { jspi: true }), N.startNode('fallback', { jspi: false })])));
  const wroteFallback = (await container('fallback', WRITE, /^wrote/, { containerId: 'many', page: onePackPage })).exitMs;
  const READ = ['/bin/tools.wasm', 'readmany', '/tmp', String(FILES)];
  const READ0 = ['/bin/tools.wasm', 'readmany', '/tmp', '0'];
  const readOk = new RegExp(`^read ${FILES} files, ${FILES * 18} bytes\n$`);
  const files = {
    jspi: [] as number[],
    fallback: [] as number[],
    onePack: [] as number[],
    bare: [] as number[],
    jspi0: [] as number[],
    fallback0: [] as number[],
    bare0: [] as number[],
    jspiReads: undefined as unknown,
    preloaded: 0,
    fsReady: [] as number[],
  };
  for (let i = 0; i < FILE_ROUNDS; i++) {
    await sleep(300);
    const j = await container('jspi', READ, readOk, { containerId: 'many' });
    files.jspi.push(j.exitMs);
    files.jspiReads = j.stats?.reads;
    files.fsReady.push(j.stats!.fsReady);
    await sleep(300);
    files.jspi0.push((await container('jspi', READ0, /^read 0/, { containerId: 'many' })).exitMs);
    await sleep(300);
    const f = await container('fallback', READ, readOk, { containerId: 'many' });
    files.fallback.push(f.exitMs);
    files.preloaded = f.stats!.preloadedBytes;
    await sleep(300);
    files.fallback0.push((await container('fallback', READ0, /^read 0/, { containerId: 'many' })).exitMs);
    await sleep(300);
    files.onePack.push((await container('jspi', READ, readOk, { containerId: 'many', page: onePackPage })).exitMs);
    files.bare.push((await bare('warm', READ, readOk)).exitMs);
    files.bare0.push((await bare('warm', READ0, /^read 0/)).exitMs);
  }

  // ------------------------------------------------------------ (d) big image vs small image
  progress(`(d) ${BIG_MB} MB image vs 1 MB image`);
  const img = {
    warmBig: [] as number[],
    warmSmall: [] as number[],
    coldBig: [] as number[],
    coldSmall: [] as number[],
    fsBig: [] as number[],
    fsSmall: [] as number[],
  };
  await container('jspi', ECHO, /^hi\n$/, { image: big.ref });
  await container('jspi', ECHO, /^hi\n$/, { image: small.ref });
  for (let i = 0; i < ROUNDS; i++) {
    // Alternating which goes first, so neither always follows the other.
    for (const which of i % 2 ? (['big', 'small'] as const) : (['small', 'big'] as const)) {
      const image = which === 'big' ? big.ref : small.ref;
      // Warm starts take ~2 ms, where one stray pause moves a median: three per round.
      for (let k = 0; k < 3; k++) {
        await sleep(300);
        const r = await container('jspi', ECHO, /^hi\n$/, { image });
        (which === 'big' ? img.warmBig : img.warmSmall).push(r.firstOutputMs!);
        (which === 'big' ? img.fsBig : img.fsSmall).push(r.stats!.fsReady);
      }
      const node = `cold-${which}-${i}`;
      await s.page.evaluate((node) => N.startNode(node, { jspi: true }), node);
      (which === 'big' ? img.coldBig : img.coldSmall).push((await container(node, ECHO, /^hi\n$/, { image })).firstOutputMs!);
      await s.page.evaluate((node) => N.stopNode(node), node);
    }
  }

  // ------------------------------------------------------------ report
  const ver = await s.context.browser()?.version();
  say(`bench/wasi: WASI containers vs bare browser_wasi_shim ${ver ? `(Chromium ${ver}) ` : ''}— medians; ${ROUNDS} rounds (5 for b, ${FILE_ROUNDS} for c)`);
  say(
    `  tools.wasm ${(wasmBytes / 1e3).toFixed(0)} kB; pulls: tools ${pulls[0]!.toFixed(0)} ms, 1 MB image ${pulls[1]!.toFixed(0)} ms, ${BIG_MB} MB image ${pulls[2]!.toFixed(0)} ms`,
  );
  say();
  say('(a) run → first stdout of `tools echo hi`');
  row('container, new node (run → stdout)', cold.run);
  row('container, new node (node start + run)', cold.withNode);
  row('bare shim, cold (new Worker + compile + run)', cold.bare);
  ratio('new node / bare cold', cold.run, cold.bare);
  row('container, warm, JSPI', warm.jspi);
  row('container, warm, fallback', warm.fallback);
  row('bare shim, warm (Worker with compiled module)', warm.bare);
  ratio('warm JSPI / bare warm', warm.jspi, warm.bare, '≤ 1.5');
  say(`  ${'warm JSPI absolute'.padEnd(46)}${median(warm.jspi).toFixed(1).padStart(8)} ms (target ≤ 20 ms)`);
  ratio('warm fallback / warm JSPI', warm.fallback, warm.jspi);
  row('container, JSPI, runs back to back', backToBack);
  row('`docker run tools echo hi` in the CLI, to exit', viaCli.run);
  row('  the same with --rm', viaCli.rm);
  say(
    `  process Worker marks, last warm JSPI run (ms from its run message): ${JSON.stringify(warm.marks[0], (k, v) => (k === 'reads' ? undefined : typeof v === 'number' ? Math.round(v * 10) / 10 : v))}`,
  );
  say();
  say(`(b) CPU-bound: \`tools cpu ${CPU_PASSES}\` (hash loop over a 64 KiB table)`);
  row('container, warm, JSPI: run → exit', total(cpu.container));
  row('  the loop alone (first output → exit)', loop(cpu.container));
  row('container, warm, fallback: run → exit', total(cpu.fallback));
  row('  the loop alone', loop(cpu.fallback));
  row('bare shim, warm: run → exit', total(cpu.bare));
  row('  the loop alone', loop(cpu.bare));
  row('  loop alone, a process Worker booting beside', loop(cpu.bareBoot));
  row('native (clang -O2, same source): exec → exit', total(cpu.native));
  row('  the loop alone', loop(cpu.native));
  ratio('container speed / bare speed, run → exit', total(cpu.bare), total(cpu.container), '≥ 0.95');
  ratio('container speed / bare speed, loop alone', loop(cpu.bare), loop(cpu.container), '≥ 0.95');
  ratio('  fallback, loop alone', loop(cpu.bare), loop(cpu.fallback));
  ratio('  bare speed, a process Worker booting beside', loop(cpu.bare), loop(cpu.bareBoot));
  ratio('container time / native time, loop alone', loop(cpu.container), loop(cpu.native));
  ratio('bare time / native time, loop alone', loop(cpu.bare), loop(cpu.native));
  say();
  say(`(c) open+read ${FILES} small files (18 B each), run → exit`);
  say(
    `  written first by \`tools writemany\`: JSPI process ${wroteJspi.toFixed(0)} ms (closes committed in batches), fallback ${wroteFallback.toFixed(0)} ms (one commit at exit)`,
  );
  ratio('  batched commits / one commit at exit', [wroteJspi], [wroteFallback], '≤ 1.5');
  row('container, JSPI (read lazily; written by JSPI)', files.jspi);
  row('container, JSPI (written in one commit)', files.onePack);
  row('container, fallback (preloaded)', files.fallback);
  row('bare shim, memory filesystem', files.bare);
  ratio('JSPI / bare', files.jspi, files.bare, '≤ 2');
  ratio('JSPI, written in one commit / bare', files.onePack, files.bare, '≤ 2');
  ratio('fallback / JSPI', files.fallback, files.jspi);
  row('same process reading 0 files: container, JSPI', files.jspi0);
  row('  container, fallback', files.fallback0);
  row('  bare shim', files.bare0);
  const marginal = (a: number[], b: number[]) => median(a) - median(b);
  say(
    `  ${'the reads alone (2,500 minus 0): JSPI'.padEnd(46)}${marginal(files.jspi, files.jspi0).toFixed(1).padStart(8)} ms; fallback ${marginal(files.fallback, files.fallback0).toFixed(1)} ms; bare ${marginal(files.bare, files.bare0).toFixed(1)} ms`,
  );
  say(
    `  JSPI filesystem view ready (writable layer of ${FILES} entries loaded): ${median(files.fsReady).toFixed(1)} ms; IndexedDB reads ${JSON.stringify(files.jspiReads)}; fallback preloaded ${files.preloaded} B`,
  );
  say();
  say(`(d) start (run → first stdout) from a ${BIG_MB} MB image vs a 1 MB image (same tools layers + a random-data layer)`);
  row(`warm node, ${BIG_MB} MB image`, img.warmBig);
  row('warm node, 1 MB image', img.warmSmall);
  ratio(`warm: ${BIG_MB} MB / 1 MB`, img.warmBig, img.warmSmall, '≤ 1.5');
  row(`new node, ${BIG_MB} MB image`, img.coldBig);
  row('new node, 1 MB image', img.coldSmall);
  ratio(`new node: ${BIG_MB} MB / 1 MB`, img.coldBig, img.coldSmall, '≤ 1.5');
  say(`  filesystem view ready (warm): ${BIG_MB} MB ${median(img.fsBig).toFixed(1)} ms, 1 MB ${median(img.fsSmall).toFixed(1)} ms`);
  say();
  say(`took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  console.log(out.join('\n'));
} finally {
  await s.close();
  await vite.close();
  await reg.stop();
  await scratch.stop();
  rmSync(regDir, { recursive: true, force: true });
}
