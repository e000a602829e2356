// bench/net-x86-wasi: HTTP between an x86 client and a WASI server on one network (the engine's
// TCP/IP stack answers for the WASI container, which has no NIC), against the same requests to an
// x86 server (busybox httpd with a CGI echo) in the same run. Each request POSTs KIB (256) KiB of
// x's (the fixture server's echo stops at a NUL) and gets it back; the client times each request
// with its own clock (/proc/uptime, 10 ms steps). Bodies of 1 MiB stall busybox httpd's CGI relay
// (the WASI server echoes them, at the same rate).
// Run: npx tsx bench/net-x86-wasi.ts   (after set-up: the demo's built-in images)   ROUNDS=5
import { launchChromium } from '../test/support/chromium.ts';
import { startViteServer } from '../test/support/vite-server.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const BYTES = Number(process.env.KIB ?? 256) << 10;
const progress = (s: string) => process.stderr.write(`[bench:net-x86-wasi] ${s}\n`);

const CGI =
  "mkdir -p /srv/cgi-bin && printf '#!/bin/sh\\necho Content-Type: application/octet-stream\\necho\\nhead -c $CONTENT_LENGTH\\n' > /srv/cgi-bin/echo && chmod +x /srv/cgi-bin/echo";
const CS = '$(cut -d" " -f1 /proc/uptime | tr -d .)';
/** Prints one `bytes ms` line per request: the echoed bytes and the request's time. */
const CLIENT = (url: string) =>
  `head -c ${BYTES} /dev/zero | tr "\\0" x > /tmp/body; for i in $(seq ${ROUNDS}); do s=${CS}; n=$(wget -Y off -qO- --post-file /tmp/body ${url} | wc -c); e=${CS}; echo "$n $(((e - s) * 10))"; done`;

const vite = await startViteServer();
const s = await launchChromium();
const docker = async (cmd: string) => {
  const r = await s.page.evaluate((c) => window.docker(c), cmd);
  if (r.code !== 0 || r.stderr) throw new Error(`${cmd}: ${JSON.stringify(r)}`);
  return r.stdout;
};

/** MB/s both ways together, per request, checked to be whole. */
function rates(out: string, what: string): number[] {
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const [bytes, ms] = line.split(' ').map(Number);
      if (bytes !== BYTES || !(ms! > 0)) throw new Error(`${what}: ${out}`);
      return (2 * BYTES) / 1e6 / (ms! / 1000);
    });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const fmt = (xs: number[]) =>
  `${median(xs).toFixed(2).padStart(6)} MB/s (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)}, n=${xs.length})`;

try {
  await s.page.goto(`${vite.baseUrl}/demo/index.html?db=bench-x86-wasi&noproxy`);
  await s.page.evaluate(() => window.engineReady);
  await docker('docker network create bench');
  progress('starting the WASI server (web) and the x86 server (busybox httpd, CGI echo)');
  await docker('docker run -d --name wasi --network bench web');
  await docker(`docker run -d --name x86 --network bench busybox sh -c "${CGI.replace(/"/g, '\\"')} && httpd -f -p 8080 -h /srv"`);
  progress(`${ROUNDS} POSTs of ${BYTES >> 10} KiB to each`);
  const wasi = rates(await docker(`docker run --rm --network bench busybox sh -c '${CLIENT('http://wasi:8080/echo')}'`), 'x86 → WASI');
  const x86 = rates(await docker(`docker run --rm --network bench busybox sh -c '${CLIENT('http://x86:8080/cgi-bin/echo')}'`), 'x86 → x86');
  console.log(`HTTP POST of ${BYTES >> 10} KiB echoed back, busybox wget in an x86 container (both ways counted; medians of ${ROUNDS})`);
  console.log(`  to a WASI server (engine's stack answers for it): ${fmt(wasi)}`);
  console.log(`  to an x86 server (busybox httpd CGI):             ${fmt(x86)}`);
  console.log(`  WASI / x86:                                       ${(median(wasi) / median(x86)).toFixed(2)}x`);
} finally {
  await s.close();
  await vite.close();
}
