// bench/x86-idle: the CPU a page takes while nothing runs, after a WASI container (the baseline)
// and after an x86 one (whose node then keeps a restored guest ready for the next container),
// as cores used by all of Chromium's processes over 5 s; and the next x86 start.
// Run: npx tsx bench/x86-idle.ts
import { readdirSync, readFileSync } from 'node:fs';
import { launchChromium } from '../test/support/chromium.ts';
import { startViteServer } from '../test/support/vite-server.ts';

const WINDOW_MS = 5000;

/** CPU ticks (1/100 s) used so far by the Chromium processes. */
function chromiumTicks(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('chromium')) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended while being read.
    }
  }
  return ticks;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function idleCores(): Promise<number> {
  await sleep(3000);
  const t0 = chromiumTicks();
  await sleep(WINDOW_MS);
  return (chromiumTicks() - t0) / 100 / (WINDOW_MS / 1000);
}

const vite = await startViteServer();
const s = await launchChromium();
await s.page.goto(`${vite.baseUrl}/demo/index.html?db=bench-idle-${Date.now()}&noproxy`);
await s.page.evaluate(() => window.engineReady);
const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
await docker('docker run --rm hello');
const wasi = await idleCores();
await docker('docker run --rm busybox true');
const x86 = await idleCores();
const t = performance.now();
await docker('docker run --rm busybox true');
const next = performance.now() - t;
console.log(`idle after a WASI container: ${wasi.toFixed(2)} cores (baseline)`);
console.log(`idle after an x86 container: ${x86.toFixed(2)} cores (${(x86 / wasi).toFixed(2)}x the baseline)`);
console.log(`the next x86 docker run --rm: ${next.toFixed(0)} ms`);
await s.close();
await vite.close();
