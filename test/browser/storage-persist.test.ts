// The origin's storage in the demo page: the engine asks navigator.storage.persist() once, when it
// first stores something (not when it only opens), and `docker system df` / `docker info` show
// the browser's usage, what is left of the quota and whether it is persistent. The browser's own
// grant depends on its heuristics, so the page's StorageManager records the asks and grants them.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const baseUrl = inject('baseUrl');
let s: BrowserSession;

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
const asks = () => s.page.evaluate(() => (window as unknown as { persistAsks: number }).persistAsks);
const open = async () => {
  await s.page.goto(`${baseUrl}/demo/index.html?db=storage-persist&noproxy`);
  await s.page.evaluate(() => window.engineReady);
};

beforeAll(async () => {
  s = await launchChromium();
  await s.context.addInitScript(() => {
    const w = window as unknown as { persistAsks: number };
    w.persistAsks = 0;
    let granted = false;
    navigator.storage.persist = async () => {
      w.persistAsks++;
      granted = true;
      return true;
    };
    navigator.storage.persisted = async () => granted;
  });
});
afterAll(() => s?.close());

describe('the origin’s storage', () => {
  it('is asked to persist when the engine first stores something, and once only', async () => {
    // A fresh database: the demo loads its built-in images, the first store.
    await open();
    await expect.poll(asks).toBe(1);
    expect((await docker('docker volume create keep')).code).toBe(0);
    expect(await asks()).toBe(1);

    // A new page over the stored data asks nothing until it stores something itself.
    await open();
    expect((await docker('docker images -q')).code).toBe(0);
    expect(await asks()).toBe(0);
    expect((await docker('docker volume create keep2')).code).toBe(0);
    await expect.poll(asks).toBe(1);
  });

  it('shows usage, what is left of the quota, and persistence in docker system df and docker info', async () => {
    const est = await s.page.evaluate(() => navigator.storage.estimate());
    const df = (await docker('docker system df')).stdout;
    expect(df.split('\n')[0]).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$/);
    const line = df.trimEnd().split('\n').at(-1)!;
    expect(line).toMatch(/^Browser storage: \S+ used, \S+ left of \S+ \(persistent\)$/);
    const [used, left, quota] = [...line.matchAll(/([\d.]+)(B|kB|MB|GB|TB)/g)].map(([, n, u]) => Number(n) * 1000 ** ['B', 'kB', 'MB', 'GB', 'TB'].indexOf(u!));
    expect(used).toBeGreaterThan(0);
    // Rounded to 4 digits by humanSize; usage may move a little between the two readings.
    expect(Math.abs(quota! - est.quota!) / est.quota!).toBeLessThan(0.01);
    expect(Math.abs(used! + left! - quota!) / quota!).toBeLessThan(0.01);
    // Docker's own shapes stay as they were: a custom format has no trailer.
    expect((await docker('docker system df --format "{{.Type}}"')).stdout).toBe('Images\nContainers\nLocal Volumes\nBuild Cache\n');
    const info = (await docker('docker info')).stdout;
    expect(info).toMatch(/ Storage Usage: \S+\n Storage Quota: \S+\n Storage Persisted: true\n/);
  });
});
