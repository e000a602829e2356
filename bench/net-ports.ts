// bench/net-ports: time to first byte of a published port, warm, from a tab of the ports origin
// (through its Service Worker, the relay in the engine's tab, the node and the WASI server in a
// container) and from script in the engine's tab (engine.ports.fetch), against a baseline from the
// same tab in the same run: a plain HTTP request to the ports origin's own server, which no Service
// Worker takes. Goal: ≤ 50 ms warm. Run: npx tsx bench/net-ports.ts   (after `npm test` set-up)
import path from 'node:path';
import { launchChromium } from '../test/support/chromium.ts';
import { fixturesDir, startRegistry } from '../test/support/registry.ts';
import { startViteServer } from '../test/support/vite-server.ts';

const N = Number(process.env.REQUESTS ?? 100);
const progress = (s: string) => process.stderr.write(`[bench:net-ports] ${s}\n`);

const reg = await startRegistry({ dataDir: path.join(fixturesDir(), 'registry-data'), readOnly: true });
const vite = await startViteServer();
const s = await launchChromium();
try {
  progress('starting the WASI server with -p 8080:8080');
  await s.page.goto(`${vite.baseUrl}/demo/index.html?db=bench-net-ports&noproxy`);
  await s.page.evaluate(() => window.engineReady);
  const run = await s.page.evaluate((ref) => window.docker(`docker run -d -p 8080:8080 ${ref}`), `${reg.host}/fixtures/wasi-server:latest`);
  if (run.code !== 0) throw new Error(run.stderr);
  const url = await s.page.evaluate(async () => {
    await window.portsReady;
    return window.engine.ports.url(8080);
  });
  progress('starting busybox httpd with -p 8081:80 (x86, reached through the engine’s TCP/IP stack)');
  const x86 = await s.page.evaluate(() =>
    window.docker('docker run -d -p 8081:80 busybox sh -c "mkdir -p /srv && echo hi > /srv/index.html && httpd -f -p 80 -h /srv"'),
  );
  if (x86.code !== 0) throw new Error(x86.stderr);
  const fromScript = (port: number) =>
    s.page.evaluate(
      async ([n, port]) => {
        const ms: number[] = [];
        for (let i = 0; i < n + 10; i++) {
          const t = performance.now();
          const r = await window.engine.ports.fetch(port, '/').catch(() => undefined);
          if (!r) {
            i--; // the server is not listening yet
            await new Promise((w) => setTimeout(w, 100));
            continue;
          }
          if (i >= 10) ms.push(performance.now() - t);
          await r.arrayBuffer();
        }
        return ms;
      },
      [N, port] as const,
    );
  const script = await fromScript(8080);
  const scriptX86 = await fromScript(8081);
  const tab = await s.context.newPage();
  await tab.goto(url);
  await tab.waitForFunction(() => navigator.serviceWorker.controller !== null);
  progress(`${N} warm requests each way from ${new URL(url).origin}`);
  const fromTab = await tab.evaluate(async (n) => {
    const time = async (u: string) => {
      const ms: number[] = [];
      for (let i = 0; i < n + 10; i++) {
        const t = performance.now();
        const r = await fetch(u, { cache: 'no-store' });
        if (i >= 10) ms.push(performance.now() - t);
        await r.arrayBuffer();
      }
      return ms;
    };
    return { port: await time('/8080/'), baseline: await time('/__ports/relay.html') };
  }, N);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const f = (ms: number) => `${ms.toFixed(2)} ms`;
  const port = median(fromTab.port);
  const base = median(fromTab.baseline);
  console.log(`published port time to first byte (median of ${N} warm GET /, 151-byte page)`);
  console.log(`  tab of the ports origin → container   ${f(port)}   (goal ≤ 50 ms)`);
  console.log(`  engine.ports.fetch from script         ${f(median(script))}`);
  console.log(`  engine.ports.fetch, x86 busybox httpd  ${f(median(scriptX86))}   (lwIP in the network Worker ↔ Linux in v86)`);
  console.log(`  baseline: same tab → its HTTP server   ${f(base)}`);
  console.log(`  ratio port : baseline                  ${(port / base).toFixed(1)}×`);
} finally {
  await s.close();
  await vite.close();
  await reg.stop();
}
