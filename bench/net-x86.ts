// bench/net-x86: TCP throughput between two x86 containers on one virtual network (each guest
// in its own Worker, frames through the network Worker's switch), as a ratio against the same
// transfer over loopback inside one guest, measured in this one run. The receiver times it, from
// the first byte to the end of the stream, with the guest's own clock.
// Run: npx tsx bench/net-x86.ts   (after set-up: scripts/guest-kit/build.sh and the test fixtures)
//   MB=8 ROUNDS=3
import path from 'node:path';
import { launchChromium, openHarness } from '../test/support/chromium.ts';
import type { Outcome, SpecInput, X86NetInput } from '../test/support/node-harness-types.ts';
import { fixturesDir, startRegistry } from '../test/support/registry.ts';
import { startViteServer } from '../test/support/vite-server.ts';

const MB = Number(process.env.MB ?? 8);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PORT = 9000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const progress = (s: string) => process.stderr.write(`[bench:net] ${s}\n`);
const ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
const NET = { subnet: '172.29.0.0/16', gateway: '172.29.0.1' };

/**
 * Reads the stream on PORT, timing from its first byte to its end, and prints `bytes ms` on
 * stderr (its stdout is the socket: `nc -e`, as a listening nc whose own stdin ends would quit
 * early). The clock is /proc/uptime in 10 ms steps: busybox's date has no sub-second format.
 */
const CS = '$(cut -d" " -f1 /proc/uptime | tr -d .)';
const RECEIVE = `nc -l -p ${PORT} -e sh -c 'dd bs=1 count=1 of=/dev/null 2> /dev/null; s=${CS}; n=$(wc -c); e=${CS}; echo "$((n + 1)) $(((e - s) * 10))" >&2'`;
const SEND = (host: string) => `head -c ${MB << 20} /dev/zero | nc ${host} ${PORT}`;

const reg = await startRegistry({ dataDir: path.join(fixturesDir(), 'registry-data'), readOnly: true });
const vite = await startViteServer();
const baseUrl = vite.baseUrl;
const s = await launchChromium();
const busybox = `${reg.host}/fixtures/busybox:latest`;

const start = (script: string, net: X86NetInput) =>
  s.page.evaluate(([image, spec, net]) => N.x86Start(image, spec, net), [busybox, { argv: ['/bin/sh', '-c', script], env: ENV } as SpecInput, net] as const);
const result = (id: string): Promise<Outcome> => s.page.evaluate((id) => N.x86Result(id), id);

/** `bytes ms` from the receiver (its stderr), checked to be the whole stream; MB/s. */
function throughput(r: Outcome, what: string): number {
  const [bytes, ms] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  if (r.code !== 0 || bytes !== MB << 20 || !(ms! > 0)) throw new Error(`${what}: ${JSON.stringify(r)}`);
  return MB / (ms! / 1000);
}

let round = 0;
async function overNetwork(): Promise<number> {
  round++;
  const rx = await start(`echo ready; ${RECEIVE}`, { network: 'bench', ip: `172.29.${round}.2`, hostname: 'rx' });
  await s.page.evaluate((id) => N.x86WaitFor(id, 'ready'), rx);
  // nc's listen is up a moment after the echo; the sender retries until it connects.
  const tx = await start(`until ${SEND(`172.29.${round}.2`)}; do sleep 0.2; done`, { network: 'bench', ip: `172.29.${round}.3`, hostname: 'tx' });
  const sent = await result(tx);
  if (sent.code !== 0) throw new Error(`sender: ${JSON.stringify(sent)}`);
  return throughput(await result(rx), 'over the network');
}

async function overLoopback(): Promise<number> {
  const r = await start(`(${RECEIVE}) & sleep 1; ${SEND('127.0.0.1')}; wait`, { hostname: 'lo' });
  return throughput(await result(r), 'over loopback');
}

try {
  await openHarness(s.page, baseUrl, 'bench-net');
  await s.page.addScriptTag({ type: 'module', url: '/test/browser/node-harness.ts' });
  await s.page.waitForFunction(() => 'N' in window);
  await s.page.evaluate(
    async ([image, net]) => {
      globalThis.E = await T.open({ nodes: 0 });
      await E.images.pull(image);
      await N.createNetwork('bench', net);
    },
    [busybox, NET] as const,
  );
  const net: number[] = [];
  const lo: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    progress(`round ${i + 1}/${ROUNDS}`);
    lo.push(await overLoopback());
    net.push(await overNetwork());
  }
  const stats = await s.page.evaluate(() => N.networkStats('bench'));
  const dropped = stats.ports.reduce((a, p) => a + p.dropped, 0);
  const fmt = (xs: number[]) =>
    `${median(xs).toFixed(2).padStart(7)} MB/s (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)}, n=${xs.length})`;
  console.log(`TCP throughput, ${MB} MB with busybox nc, x86 containers in Chromium (medians of ${ROUNDS} rounds)`);
  console.log(`  two containers, one virtual network:  ${fmt(net)}`);
  console.log(`  loopback inside one container:        ${fmt(lo)}`);
  console.log(`  network / loopback:                   ${(median(net) / median(lo)).toFixed(2)}x`);
  console.log(`  switch: ${dropped} frames dropped at full port queues`);
} finally {
  await s.close();
  await vite.close();
  await reg.stop();
}
