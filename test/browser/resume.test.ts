// A reload in the middle of a pull leaves no half-made image; the next pull resumes with Range.
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium, openHarness } from '../support/chromium.ts';
import { loadFixtures } from '../support/registry.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
const big = loadFixtures().images['fixtures/big:latest']!;
const ref = `${registry}/fixtures/big:latest`;
let s: BrowserSession;

beforeAll(async () => {
  s = await launchChromium();
});
afterAll(() => s?.close());

it('survives a reload mid-pull and resumes the download where it stopped', async () => {
  const layer = big.layers![0]!;
  await openHarness(s.page, baseUrl, 'resume');
  // Slow the network so the reload lands in the middle of the 50 MiB layer.
  const cdp = await s.context.newCDPSession(s.page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 16 << 20, uploadThroughput: -1 });
  await s.page.evaluate(async (r) => {
    globalThis.E = await T.open();
    void E.images.pull(r).catch(() => undefined);
  }, ref);
  const deadline = Date.now() + 30_000;
  while ((await s.page.evaluate(async () => (await T.db(E).getAll('ingests'))[0]?.chunks ?? 0)) < 8) {
    if (Date.now() > deadline) throw new Error('the pull did not store 8 MiB in 30 s');
    await new Promise((r) => setTimeout(r, 25));
  }
  await s.page.reload();
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await s.page.waitForFunction(() => typeof T !== 'undefined');

  const afterCrash = await s.page.evaluate(async () => {
    globalThis.E = await T.open();
    return { images: await E.images.list(), stats: await T.storeStats(E) };
  });
  expect(afterCrash.images).toEqual([]);
  expect(afterCrash.stats.snapshots).toBe(0);
  expect(afterCrash.stats.ingests).toBe(1);

  const ranges: string[] = [];
  s.page.on('request', (r) => {
    if (r.url().includes(`/blobs/${layer.digest}`)) ranges.push(r.headers()['range'] ?? '');
  });
  const again = await s.page.evaluate((r) => E.images.pull(r).then((x) => x.stats), ref);
  expect(again.resumedBytes).toBeGreaterThanOrEqual(8 << 20);
  expect(again.resumedBytes + again.fetchedBytes).toBe(layer.size);
  expect(ranges).toEqual([`bytes=${again.resumedBytes}-`]);
  const after = await s.page.evaluate(() => T.storeStats(E));
  expect(after).toMatchObject({ images: 1, snapshots: 1, ingests: 0 });
  const file = await s.page.evaluate((r) => T.tree(E, r).then((t) => t.find((e) => e.path === '/big.bin')), ref);
  expect(file?.size).toBe(50 << 20);
});
