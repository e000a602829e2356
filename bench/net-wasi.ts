// bench/net-wasi: request latency from the page to a WASI server (fixtures/wasi-server, on its
// preopened listening socket), against the same harness's bare postMessage round trip to the
// node Worker, in the same run. A GET goes page → node agent (relay) → process Worker and back,
// and opens a connection of its own (Connection: close), as engine.ports.fetch does.
// Run: npx tsx bench/net-wasi.ts   (after `npm test` set-up: the fixtures in .cache/fixtures)
import path from 'node:path';
import { launchChromium, openHarness } from '../test/support/chromium.ts';
import { fixturesDir, startRegistry } from '../test/support/registry.ts';
import { startViteServer } from '../test/support/vite-server.ts';

const N_REQUESTS = Number(process.env.REQUESTS ?? 200);
const WARMUP = 20;
const progress = (s: string) => process.stderr.write(`[bench:net-wasi] ${s}\n`);

const reg = await startRegistry({ dataDir: path.join(fixturesDir(), 'registry-data'), readOnly: true });
const vite = await startViteServer();
const baseUrl = vite.baseUrl;
const s = await launchChromium();
try {
  await openHarness(s.page, baseUrl, 'bench-net-wasi');
  await s.page.addScriptTag({ type: 'module', url: '/test/browser/node-harness.ts' });
  await s.page.waitForFunction(() => 'N' in window);
  progress('pulling fixtures/wasi-server, starting the server');
  const id = await s.page.evaluate(async (image) => {
    globalThis.E = await T.open({ nodes: 0 });
    await E.images.pull(image);
    const { jspi } = await N.startNode('n', { jspi: true });
    if (!jspi) throw new Error('this Chromium has no JSPI: a WASI server cannot run');
    const id = await N.start('n', image, { argv: ['/bin/http-server.wasm'], listenPorts: [8080] });
    await N.waitFor(id, 'listening on fd 4\n');
    return id;
  }, `${reg.host}/fixtures/wasi-server:latest`);
  await s.page.evaluate(([id, n]) => N.latency('n', id!, 8080, '/', n as number), [id, WARMUP] as const);
  progress(`${N_REQUESTS} GETs of / (151-byte page) and ${N_REQUESTS} round trips`);
  const page = await s.page.evaluate(([id, n]) => N.latency('n', id!, 8080, '/', n as number), [id, N_REQUESTS] as const);
  const image = await s.page.evaluate(([id, n]) => N.latency('n', id!, 8080, '/image.bmp', n as number), [id, N_REQUESTS] as const);
  // Bulk both ways: a 1 MiB POST echoed back (the server's body cap), timed in the page.
  const echo = await s.page.evaluate(async (id) => {
    const body = 'x'.repeat(1 << 20);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const r = await N.http('n', id, { port: 8080, path: '/echo', method: 'POST', body });
      if (r.error || r.body.length !== body.length) throw new Error(`echo: ${JSON.stringify(r.error)} ${r.body.length}`);
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[2]!;
  }, id);
  await s.page.evaluate((id) => N.kill(id, 9), id);
  const lines = [
    `WASI server ↔ page request latency (${N_REQUESTS} requests, a new connection each)`,
    `  GET / (151 B)              median ${page.httpMedian.toFixed(2)} ms, mean ${page.httpMean.toFixed(2)} ms`,
    `  GET /image.bmp (12,342 B)  median ${image.httpMedian.toFixed(2)} ms, mean ${image.httpMean.toFixed(2)} ms`,
    `  postMessage round trip     mean ${page.postMessage.toFixed(3)} ms (page → node Worker → page, Comlink ping)`,
    `  ratio GET / : round trip   ${(page.httpMean / page.postMessage).toFixed(1)}× (means)`,
    `  POST /echo 1 MiB each way  median ${echo.toFixed(0)} ms (${((2 * 8) / (echo / 1000)).toFixed(0)} Mbit/s both ways together)`,
  ];
  console.log(lines.join('\n'));
} finally {
  await s.close();
  await vite.close();
  await reg.stop();
}
