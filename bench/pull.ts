// bench/pull: pull + unpack of the 50 MiB fixture image in Chromium, as MB/s and as ratios to
// limits measured in the same run: gunzip alone (DecompressionStream), IndexedDB write alone,
// and native `skopeo copy` + `tar -xzf`. Then the same bytes as two layers, and a layer of small
// files (200 per MiB), each against the one-layer pull of the same run.
// Run: npm run bench:pull   (after `npm test` set-up)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchChromium, openHarness } from '../test/support/chromium.ts';
import { gzLayer, pushImage, type RawEntry, randomLayer } from '../test/support/image-builder.ts';
import { fixturesDir, loadFixtures, startRegistry } from '../test/support/registry.ts';
import { startViteServer } from '../test/support/vite-server.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const MB = 1e6;

const big = loadFixtures().images['fixtures/big:latest'];
if (!big) throw new Error('fixtures/big is missing: run `bash scripts/setup.sh --test` with BIG_MB > 0');
const layer = big.layers![0]!;
const reg = await startRegistry({ dataDir: path.join(fixturesDir(), 'registry-data'), readOnly: true });
// The other shapes, pushed to a registry of their own: the big layer's bytes as two random
// layers, and 20 MiB of 5 KiB random files (4,096 of them, 256 to a directory).
const scratchDir = mkdtempSync(path.join(os.tmpdir(), 'bench-pull-registry-'));
const scratch = await startRegistry({ dataDir: scratchDir });
const half = Math.round(layer.size / 2 / 2 ** 20);
const two = [randomLayer(half, 'a.bin'), randomLayer(half, 'b.bin')];
const twoLayers = { ref: (await pushImage(scratch.host, 'bench/two-layers', two)).ref, bytes: two.reduce((n, l) => n + l.blob.length, 0) };
const SMALL_FILES = 4096;
const smallEntries: RawEntry[] = [];
for (let i = 0; i < SMALL_FILES; i++) {
  if (i % 256 === 0) smallEntries.push({ name: `d${i / 256}/`, type: 'dir' });
  smallEntries.push({ name: `d${Math.floor(i / 256)}/f${i}`, data: randomBytes(5 << 10) });
}
const small = gzLayer(smallEntries);
const smallFiles = { ref: (await pushImage(scratch.host, 'bench/small-files', [small])).ref, bytes: small.blob.length };
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
        await T.wipe('bench-pull');
        await T.wipe('bench-idb');
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

  // The other shapes: each round, a fresh database per pull.
  const shapeMs = { two: [] as number[], small: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [shape, ref] of [
      ['two', twoLayers.ref],
      ['small', smallFiles.ref],
    ] as const) {
      shapeMs[shape].push(
        await s.page.evaluate(async (ref) => {
          await T.wipe('bench-pull');
          const engine = await T.open();
          const t = performance.now();
          await engine.images.pull(ref);
          const ms = performance.now() - t;
          engine.close();
          return ms;
        }, ref),
      );
    }
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
  const two = mbps(twoLayers.bytes, median(shapeMs.two));
  const many = mbps(smallFiles.bytes, median(shapeMs.small));
  line('two layers of the same bytes', two);
  console.log(`  / one layer:                        ${(two / pull).toFixed(2)}   / min(gunzip, IndexedDB write): ${(two / limit).toFixed(2)}`);
  line(`${SMALL_FILES} files of 5 KiB (200 per MiB)`, many);
  console.log(`  / one layer:                        ${(many / pull).toFixed(2)}   / min(gunzip, IndexedDB write): ${(many / limit).toFixed(2)}`);
} finally {
  await s.close();
  await vite.close();
  await reg.stop();
  await scratch.stop();
  rmSync(scratchDir, { recursive: true, force: true });
}
