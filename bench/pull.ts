// bench/pull: pull + unpack of the 50 MiB fixture image in Chromium, as MB/s and as ratios to
// limits measured in the same run: gunzip alone (DecompressionStream), IndexedDB write alone,
// and native `skopeo copy` + `tar -xzf`. Run: npm run bench:pull   (after `npm test` set-up)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchChromium, openHarness } from '../test/support/chromium.ts';
import { fixturesDir, loadFixtures, startRegistry } from '../test/support/registry.ts';
import { startViteServer } from '../test/support/vite-server.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const MB = 1e6;

const big = loadFixtures().images['fixtures/big:latest'];
if (!big) throw new Error('fixtures/big is missing: run `bash scripts/setup.sh --test` with BIG_MB > 0');
const layer = big.layers![0]!;
const reg = await startRegistry({ dataDir: path.join(fixturesDir(), 'registry-data'), readOnly: true });
const vite = await startViteServer();
const baseUrl = vite.baseUrl;
const s = await launchChromium();
const ref = `${reg.host}/fixtures/big:latest`;
const blobUrl = `${reg.url}/v2/fixtures/big/blobs/${layer.digest}`;

try {
  await openHarness(s.page, baseUrl, 'bench-pull');
  const pullMs: number[] = [];
  const gunzipMs: number[] = [];
  const idbMs: number[] = [];
  let tarBytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // Each round: a fresh database, the same on-disk profile (what a user has).
    const r = await s.page.evaluate(
      async ([ref, blobUrl]) => {
        const wipe = (name: string) =>
          new Promise<void>((res) => {
            const q = indexedDB.deleteDatabase(name);
            q.onsuccess = q.onerror = q.onblocked = () => res();
          });
        await wipe('bench-pull');
        await wipe('bench-idb');
        const engine = await T.open();
        let t = performance.now();
        await engine.images.pull(ref!);
        const pull = performance.now() - t;
        engine.close();

        const gz = new Uint8Array(await (await fetch(blobUrl!)).arrayBuffer());
        t = performance.now();
        const reader = new Blob([gz]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
        let out = 0;
        for (let x = await reader.read(); !x.done; x = await reader.read()) out += x.value.byteLength;
        const gunzip = performance.now() - t;

        // IndexedDB alone: the layer's bytes as 1 MiB records in 8 MiB transactions, like the store.
        const db = await new Promise<IDBDatabase>((res, rej) => {
          const q = indexedDB.open('bench-idb', 1);
          q.onupgradeneeded = () => q.result.createObjectStore('s');
          q.onsuccess = () => res(q.result);
          q.onerror = () => rej(q.error);
        });
        t = performance.now();
        const chunk = 1 << 20;
        const pending: Promise<void>[] = [];
        for (let off = 0, k = 0; off < gz.byteLength; off += 8 * chunk) {
          const tx = db.transaction('s', 'readwrite');
          for (let o = off; o < Math.min(off + 8 * chunk, gz.byteLength); o += chunk) tx.objectStore('s').put(gz.slice(o, o + chunk), k++);
          pending.push(
            new Promise((res, rej) => {
              tx.oncomplete = () => res();
              tx.onerror = () => rej(tx.error);
            }),
          );
          if (pending.length > 2) await pending.shift();
        }
        await Promise.all(pending);
        const idb = performance.now() - t;
        db.close();
        return { pull, gunzip, idb, out };
      },
      [ref, blobUrl] as const,
    );
    pullMs.push(r.pull);
    gunzipMs.push(r.gunzip);
    idbMs.push(r.idb);
    tarBytes = r.out;
  }

  // Native: skopeo copy to a directory, then tar -xzf of the layer.
  const nativeMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-native-'));
    const t = performance.now();
    execFileSync('skopeo', ['--insecure-policy', 'copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `dir:${dir}/img`]);
    const blob = readdirSync(`${dir}/img`)
      .map((f) => `${dir}/img/${f}`)
      .sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    execFileSync('mkdir', ['-p', `${dir}/root`]);
    execFileSync('tar', ['-xzf', blob, '-C', `${dir}/root`]);
    nativeMs.push(performance.now() - t);
    rmSync(dir, { recursive: true, force: true });
  }

  const mbps = (bytes: number, ms: number) => bytes / MB / (ms / 1000);
  const pull = mbps(layer.size, median(pullMs));
  const gunzip = mbps(layer.size, median(gunzipMs));
  const idb = mbps(layer.size, median(idbMs));
  const native = mbps(layer.size, median(nativeMs));
  const limit = Math.min(gunzip, idb);
  const line = (name: string, v: number) => console.log(`${name.padEnd(34)} ${v.toFixed(1).padStart(7)} MB/s`);
  console.log(`bench/pull: ${(layer.size / MB).toFixed(1)} MB layer (${(tarBytes / MB).toFixed(1)} MB tar), ${ROUNDS} rounds, medians`);
  line('pull + unpack (engine)', pull);
  line('gunzip alone (DecompressionStream)', gunzip);
  line('IndexedDB write alone', idb);
  line('native skopeo copy + tar -xzf', native);
  console.log(`ratio to min(gunzip, IndexedDB write): ${(pull / limit).toFixed(2)}  (target >= 0.80)`);
  console.log(`ratio to native:                       ${(pull / native).toFixed(2)}`);
} finally {
  await s.close();
  await vite.close();
  await reg.stop();
}
