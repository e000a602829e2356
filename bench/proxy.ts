// Throughput of one 50 MiB blob: straight from docker-registry vs through the registry proxy,
// cold (the proxy downloads, verifies and caches it while streaming) and cached (served from its
// disk cache). Run: npx tsx bench/proxy.ts [rounds]. Prints MiB/s (median of the rounds) and
// ratios to direct; target: cached >= 0.9 x direct. Not a test: the figures depend on the machine.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pushBlob, startRegistry } from '../test/support/registry.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SIZE = 50 * 1024 * 1024;
const ROUNDS = Number(process.argv[2] ?? 7);

/** GETs a URL with a fresh connection and discards the body; returns seconds and a sha256 if asked. */
function download(url: string, hash = false): Promise<{ seconds: number; bytes: number; digest?: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const h = hash ? createHash('sha256') : undefined;
    const req = http.get(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode}`));
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        h?.update(c);
      });
      res.on('end', () => {
        const seconds = (performance.now() - t0) / 1000;
        resolve({ seconds, bytes, ...(h ? { digest: `sha256:${h.digest('hex')}` } : {}) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-proxy-'));
  const registry = await startRegistry({ dataDir: path.join(tmp, 'registry') });
  const cacheDir = path.join(tmp, 'cache');
  const proxy = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['proxy/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PROXY_PORT: '0',
      PROXY_ALLOW: registry.host,
      PROXY_ALLOW_PRIVATE: 'loopback',
      PROXY_CACHE_DIR: cacheDir,
      PROXY_LOG: 'off',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Listening before anything else, so an early exit of the proxy is noticed.
  const proxyUrl = new Promise<string>((resolve, reject) => {
    let out = '';
    proxy.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proxy.once('exit', (code) => reject(new Error(`proxy exited (${code}): ${out}`)));
  });
  try {
    const bytes = randomBytes(SIZE); // incompressible
    const digest = await pushBlob(registry, 'bench/big', bytes);
    const direct = `${registry.url}/v2/bench/big/blobs/${digest}`;
    const viaProxy = `${await proxyUrl}/v2/${registry.host}/bench/big/blobs/${digest}`;
    const cacheFile = path.join(cacheDir, 'blobs', 'sha256', digest.slice('sha256:'.length));

    // Correctness once, outside the timings: both paths deliver the right bytes.
    for (const url of [direct, viaProxy, viaProxy]) {
      const r = await download(url, true);
      if (r.digest !== digest) throw new Error(`${url} delivered ${r.digest}`);
    }

    const times = { direct: [] as number[], cold: [] as number[], cached: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      times.direct.push((await download(direct)).seconds);
      await rm(cacheFile, { force: true }); // the proxy finds it gone and downloads again
      times.cold.push((await download(viaProxy)).seconds);
      times.cached.push((await download(viaProxy)).seconds);
    }
    const mibps = (s: number[]) => SIZE / 1024 / 1024 / median(s);
    const d = mibps(times.direct);
    const c = mibps(times.cold);
    const k = mibps(times.cached);
    console.log(`50 MiB blob, ${ROUNDS} rounds, median (${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(2)})`);
    const row = (label: string, v: number, ratio = '') => console.log(`  ${label.padEnd(36)} ${v.toFixed(0).padStart(6)} MiB/s${ratio}`);
    row('direct from docker-registry', d);
    row('proxy, cold (fetch + verify + cache)', c, `   ${(c / d).toFixed(2)} x direct`);
    row('proxy, cached', k, `   ${(k / d).toFixed(2)} x direct (target >= 0.90)`);
  } finally {
    proxy.kill('SIGTERM');
    await registry.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
