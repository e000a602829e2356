// Load and leaks, in a real Chromium on the demo page with real node Workers and a real registry:
// 1,000 containers created, started, stopped and removed (most run to their exit with --rm, some
// run detached until `docker stop`, some write to a named volume), and 100 distinct images pulled
// and removed. After `system prune -a -f --volumes` and `volume prune -a -f` the database holds what it held at the
// baseline (record counts per store, and navigator.storage.estimate() within a margin), the page
// has as many Workers as before and its JS heap has not grown.
import type { CDPSession } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';
import { gzLayer, pushImage } from '../support/image-builder.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
const DB = `load-${Date.now().toString(36)}`;
const CONTAINERS = Number(process.env.LOAD_CONTAINERS ?? 1000);
const IMAGES = Number(process.env.LOAD_IMAGES ?? 100);
/** Containers in flight at once: the demo's two nodes each run a few. */
const PARALLEL = 4;
let s: BrowserSession;
let cdp: CDPSession;

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
async function ok(cmd: string): Promise<string> {
  const r = await docker(cmd);
  expect(r.code, `${cmd}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

interface Footprint {
  records: Record<string, number>;
  usage: number;
  workers: number;
  heap: number;
}

/** What the engine keeps: records per store of its database, the origin's usage, Workers, heap after a GC. */
async function footprint(): Promise<Footprint> {
  const records = await s.page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open(name);
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const out: Record<string, number> = {};
    const tx = db.transaction([...db.objectStoreNames], 'readonly');
    await Promise.all(
      [...db.objectStoreNames].map(
        (store) =>
          new Promise<void>((res, rej) => {
            const c = tx.objectStore(store).count();
            c.onsuccess = () => {
              out[store] = c.result;
              res();
            };
            c.onerror = () => rej(c.error);
          }),
      ),
    );
    db.close();
    return out;
  }, DB);
  const usage = await s.page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return { records, usage, workers: s.page.workers().length, heap: usedSize };
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

beforeAll(async () => {
  s = await launchChromium();
  cdp = await s.context.newCDPSession(s.page);
  await s.page.goto(`${baseUrl}/demo/index.html?db=${DB}&noproxy`);
  await s.page.evaluate(() => window.engineReady);
}, 120_000);
afterAll(() => s?.close());

describe('load and leaks', () => {
  it(`creates, starts, stops and removes ${CONTAINERS} containers and pulls and removes ${IMAGES} images, and the store, Workers and heap are back to the baseline`, async () => {
    // Warm up first (node Workers started, code compiled), then empty the engine: the baseline.
    await ok(`docker pull -q ${registry}/fixtures/wasi-tools`);
    await ok(`docker run --rm ${registry}/fixtures/wasi-tools write /warm x`);
    await ok('docker system prune -a -f --volumes');
    const before = await footprint();

    await ok(`docker pull -q ${registry}/fixtures/wasi-tools`);
    await ok(`docker tag ${registry}/fixtures/wasi-tools tools`);
    const started = Date.now();
    const one = async (i: number) => {
      if (i % 10 === 0) {
        // Detached until stopped, then removed: create, start, stop and rm as separate steps.
        await ok(`docker create --name load-${i} tools spin`);
        await ok(`docker start load-${i}`);
        await ok(`docker stop -t 0 load-${i}`);
        await ok(`docker rm load-${i}`);
      } else if (i % 10 === 5) {
        await ok(`docker run --rm -v load-vol-${i % 50}:/data tools write /data/f-${i} ${i}`);
      } else if (i % 2 === 1) {
        expect(await ok(`docker run --rm tools echo load-${i}`)).toBe(`load-${i}\n`);
      } else {
        await ok(`docker run --rm tools write /tmp/f-${i} ${i}`);
      }
    };
    for (let i = 0; i < CONTAINERS; i += PARALLEL) {
      await Promise.all(Array.from({ length: Math.min(PARALLEL, CONTAINERS - i) }, (_, k) => one(i + k)));
    }
    const containersMs = Date.now() - started;
    expect((await ok('docker ps -a -q')).trim()).toBe('');
    const mid = await footprint();

    const pushed = [];
    for (let i = 0; i < IMAGES; i++) {
      pushed.push(await pushImage(registry, `load/image-${i}`, [gzLayer([{ name: `file-${i}.txt`, data: `image ${i}\n`.repeat(64) }])]));
    }
    const pulledAt = Date.now();
    for (const img of pushed) {
      await ok(`docker pull -q ${img.ref}`);
      await ok(`docker rmi ${img.ref}`);
    }
    const imagesMs = Date.now() - pulledAt;
    // Only the tools image is left (under its two names).
    expect(new Set((await ok('docker images -q')).trim().split('\n')).size).toBe(1);

    // As in Docker (23 and later), `system prune --volumes` keeps named volumes; `volume prune -a` takes them.
    await ok('docker system prune -a -f --volumes');
    await ok('docker volume prune -a -f');
    const after = await footprint();
    console.log(
      [
        `${CONTAINERS} containers in ${(containersMs / 1000).toFixed(1)} s, ${IMAGES} images pulled and removed in ${(imagesMs / 1000).toFixed(1)} s`,
        `              baseline   after containers   after prune`,
        `usage         ${mib(before.usage).padEnd(11)}${mib(mid.usage).padEnd(19)}${mib(after.usage)}`,
        `workers       ${String(before.workers).padEnd(11)}${String(mid.workers).padEnd(19)}${after.workers}`,
        `heap          ${mib(before.heap).padEnd(11)}${mib(mid.heap).padEnd(19)}${mib(after.heap)}`,
        `records       ${JSON.stringify(before.records)}`,
        `              ${JSON.stringify(after.records)}`,
      ].join('\n'),
    );
    expect(after.records).toEqual(before.records);
    expect(after.workers).toBe(before.workers);
    // IndexedDB gives space back when LevelDB compacts, not at once: a margin, far below what
    // the run wrote. The heap may wander by what the GC keeps, never by a share per container.
    expect(after.usage).toBeLessThan(before.usage + 8 * 2 ** 20);
    expect(after.heap).toBeLessThan(before.heap + 4 * 2 ** 20);
  }, 1_200_000);
});
