// A page on one origin pulls a whole image through the registry proxy on another, in Chromium;
// the second pull is served from the proxy's cache.
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium, openHarness } from '../support/chromium.ts';
import { cleanup, type Front, startFront, startProxy, type TestProxy } from '../support/proxy-helpers.ts';
import { loadFixtures, loadTree } from '../support/registry.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
const busybox = loadFixtures().images['fixtures/busybox:latest']!;
let s: BrowserSession;
let proxy: TestProxy;
let upstream: Front;

beforeAll(async () => {
  upstream = await startFront({ port: Number(registry.split(':')[1]) });
  proxy = await startProxy({ allow: ['127.0.0.1:*'] });
  s = await launchChromium();
});
afterAll(async () => {
  await s?.close();
  await cleanup();
});

async function pullThroughProxy(db: string) {
  await openHarness(s.page, baseUrl, db);
  return s.page.evaluate(
    async ([ref, proxyUrl]) => {
      const engine = await T.open({ registry: { proxy: `${proxyUrl}/`, proxyLoopback: true }, nodes: 0 });
      globalThis.E = engine;
      const r = await engine.images.pull(ref!);
      return { id: r.image.Id, tree: await T.tree(engine, ref!) };
    },
    [`${upstream.host}/fixtures/busybox:latest`, proxy.url] as const,
  );
}

it('pulls a full image through the proxy from another origin, then from its cache', async () => {
  const origins = new Set<string>();
  s.page.on('request', (r) => {
    if (!r.url().startsWith(baseUrl)) origins.add(new URL(r.url()).origin);
  });
  const first = await pullThroughProxy('proxy-1');
  expect(first.id).toBe(busybox.manifest.config!.digest);
  const host = loadTree('busybox');
  expect(first.tree.filter((e) => e.type === 'file').map((e) => [e.path, e.sha])).toEqual(
    Object.entries(host)
      .filter(([, e]) => e.type === 'file')
      .map(([p, e]) => [p, e.sha256]),
  );
  // The page talked to the proxy only, never to the registry itself.
  expect([...origins]).toEqual([proxy.url]);
  const blobsFirst = upstream.blobGets();
  expect(blobsFirst).toBeGreaterThanOrEqual(busybox.layers!.length);

  const second = await pullThroughProxy('proxy-2');
  expect(second.id).toBe(first.id);
  expect(upstream.blobGets()).toBe(blobsFirst);
});
