// The pull-through cache: what a second pull costs upstream, restarts, tag TTL, Range from disk,
// damaged files, the size cap, and concurrent downloads.
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cacheFiles,
  cleanup,
  eventually,
  type Front,
  get,
  OCI_MANIFEST,
  pull,
  pushImage,
  sha256,
  startFront,
  startProxy,
  tempDir,
} from '../../support/proxy-helpers.ts';
import { pushManifest, type RunningRegistry, startRegistry } from '../../support/registry.ts';

let registry: RunningRegistry;
let front: Front;

beforeAll(async () => {
  registry = await startRegistry({ dataDir: await tempDir() });
  front = await startFront(registry);
});
afterAll(async () => {
  await cleanup();
  await registry.stop();
});

const blobFile = (cacheDir: string, digest: string) => path.join(cacheDir, 'blobs', 'sha256', digest.slice('sha256:'.length));
const manifestGets = (f: Front) => f.requests.filter((r) => r.method === 'GET' && r.url.includes('/manifests/')).length;
const manifestHeads = (f: Front) => f.requests.filter((r) => r.method === 'HEAD' && r.url.includes('/manifests/')).length;

describe('second pull', () => {
  it('sends no blob (and, within the tag TTL, no manifest) request upstream', async () => {
    const image = await pushImage(registry, 'cache/second', 'latest', [50_000, 120_000, 7]);
    const proxy = await startProxy({ allow: [front.host] });
    const blobs0 = front.blobGets();
    const first = await pull(proxy.url, front.host, 'cache/second', 'latest');
    expect(front.blobGets() - blobs0).toBe(4); // config + 3 layers
    const blobs1 = front.blobGets();
    const manifests1 = manifestGets(front) + manifestHeads(front);

    const second = await pull(proxy.url, front.host, 'cache/second', 'latest');
    expect(front.blobGets()).toBe(blobs1);
    expect(manifestGets(front) + manifestHeads(front)).toBe(manifests1);
    expect([...second.entries()]).toEqual([...first.entries()]);
    expect(second.get(image.layers[1]!.digest)!.equals(image.layers[1]!.bytes)).toBe(true);
  });

  it('survives a restart: a new proxy on the same cache directory serves the blobs from disk', async () => {
    const image = await pushImage(registry, 'cache/restart', 'latest', [80_000, 1000]);
    const cacheDir = await tempDir();
    const a = await startProxy({ allow: [front.host], cacheDir });
    await pull(a.url, front.host, 'cache/restart', 'latest');
    await a.stop();

    const b = await startProxy({ allow: [front.host], cacheDir });
    const blobs = front.blobGets();
    const gets = manifestGets(front);
    const heads = manifestHeads(front);
    const pulled = await pull(b.url, front.host, 'cache/restart', 'latest');
    expect(front.blobGets()).toBe(blobs);
    // The tag is unknown to the new process: one HEAD finds it still names the cached manifest.
    expect(manifestHeads(front)).toBe(heads + 1);
    expect(manifestGets(front)).toBe(gets);
    expect(pulled.get(image.layers[0]!.digest)!.equals(image.layers[0]!.bytes)).toBe(true);
    await eventually(() => b.logs.length === 4); // manifest, config, 2 layers; a line is written when its response closes
    expect(b.logs.some((l) => l.includes('/manifests/latest 200') && l.includes('cache=revalidated'))).toBe(true);
  });
});

describe('tags', () => {
  it('after the TTL, revalidates with a HEAD and follows a tag that moved', async () => {
    const v1 = await pushImage(registry, 'cache/moving', 'stable', [10]);
    const proxy = await startProxy({ allow: [front.host], tagTtlSeconds: 0 });
    const url = `${proxy.url}/v2/${front.host}/cache/moving/manifests/stable`;
    expect((await get(url)).headers.get('docker-content-digest')).toBe(v1.digest);

    const gets = manifestGets(front);
    const heads = manifestHeads(front);
    const again = await get(url);
    expect(again.headers.get('docker-content-digest')).toBe(v1.digest);
    expect(manifestHeads(front)).toBe(heads + 1);
    expect(manifestGets(front)).toBe(gets); // the bytes came from the cache

    const v2 = await pushImage(registry, 'cache/moving', 'stable', [11]);
    const moved = await get(url);
    expect(moved.headers.get('docker-content-digest')).toBe(v2.digest);
    expect(moved.body.equals(v2.manifest)).toBe(true);
    expect(manifestGets(front)).toBe(gets + 1);
  });

  it('marks tag answers no-cache and digest answers immutable for the browser cache', async () => {
    const image = await pushImage(registry, 'cache/headers', 'v1', [10]);
    const proxy = await startProxy({ allow: [front.host] });
    const byTag = await get(`${proxy.url}/v2/${front.host}/cache/headers/manifests/v1`);
    expect(byTag.headers.get('cache-control')).toBe('no-cache');
    const byDigest = await get(`${proxy.url}/v2/${front.host}/cache/headers/manifests/${image.digest}`);
    expect(byDigest.headers.get('cache-control')).toContain('immutable');
  });
});

describe('Range', () => {
  it('serves byte ranges of a cached blob from disk', async () => {
    const image = await pushImage(registry, 'cache/range', 'v1', [100_000]);
    const layer = image.layers[0]!;
    const proxy = await startProxy({ allow: [front.host] });
    const url = `${proxy.url}/v2/${front.host}/cache/range/blobs/${layer.digest}`;
    await get(url);
    const before = front.requests.length;

    const mid = await get(url, { headers: { Range: 'bytes=100-199' } });
    expect(mid.status).toBe(206);
    expect(mid.headers.get('content-range')).toBe('bytes 100-199/100000');
    expect(mid.headers.get('content-length')).toBe('100');
    expect(mid.body.equals(layer.bytes.subarray(100, 200))).toBe(true);

    const tail = await get(url, { headers: { Range: 'bytes=99990-' } });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(layer.bytes.subarray(99_990))).toBe(true);

    const suffix = await get(url, { headers: { Range: 'bytes=-5' } });
    expect(suffix.headers.get('content-range')).toBe('bytes 99995-99999/100000');
    expect(suffix.body.equals(layer.bytes.subarray(99_995))).toBe(true);

    const beyond = await get(url, { headers: { Range: 'bytes=100000-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */100000');

    const several = await get(url, { headers: { Range: 'bytes=0-1,5-6' } });
    expect(several.status).toBe(200);
    expect(several.body.length).toBe(100_000);

    expect(front.requests.length).toBe(before);
  });

  it('passes a Range on an uncached blob upstream and caches nothing', async () => {
    const image = await pushImage(registry, 'cache/range-miss', 'v1', [5000]);
    const layer = image.layers[0]!;
    const proxy = await startProxy({ allow: [front.host] });
    const r = await get(`${proxy.url}/v2/${front.host}/cache/range-miss/blobs/${layer.digest}`, { headers: { Range: 'bytes=10-19' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 10-19/5000');
    expect(r.body.equals(layer.bytes.subarray(10, 20))).toBe(true);
    expect(front.requests.at(-1)!.headers.range).toBe('bytes=10-19');
    expect(await cacheFiles(proxy.cacheDir)).toEqual([]);
  });
});

describe('integrity', () => {
  it('notices a damaged blob file by its digest, deletes it and fetches the blob again', async () => {
    const image = await pushImage(registry, 'cache/damaged', 'v1', [64_000]);
    const layer = image.layers[0]!;
    const proxy = await startProxy({ allow: [front.host] });
    const url = `${proxy.url}/v2/${front.host}/cache/damaged/blobs/${layer.digest}`;
    await get(url);
    const file = blobFile(proxy.cacheDir, layer.digest);
    const damaged = Buffer.from(layer.bytes);
    damaged[1234] = damaged[1234]! ^ 0xff; // same size, one byte flipped
    await writeFile(file, damaged);

    const blobs = front.blobGets();
    const r = await get(url);
    expect(r.status).toBe(200);
    expect(sha256(r.body)).toBe(layer.digest);
    expect(front.blobGets()).toBe(blobs + 1);
    expect((await readFile(file)).equals(layer.bytes)).toBe(true);
  });

  it('notices damage done while the proxy was not running', async () => {
    const image = await pushImage(registry, 'cache/damaged-offline', 'v1', [30_000]);
    const layer = image.layers[0]!;
    const cacheDir = await tempDir();
    const a = await startProxy({ allow: [front.host], cacheDir });
    await get(`${a.url}/v2/${front.host}/cache/damaged-offline/blobs/${layer.digest}`);
    await a.stop();
    const file = blobFile(cacheDir, layer.digest);
    await writeFile(file, Buffer.alloc(layer.bytes.length));

    const b = await startProxy({ allow: [front.host], cacheDir });
    const blobs = front.blobGets();
    const r = await get(`${b.url}/v2/${front.host}/cache/damaged-offline/blobs/${layer.digest}`);
    expect(sha256(r.body)).toBe(layer.digest);
    expect(front.blobGets()).toBe(blobs + 1);
  });

  it('notices a damaged manifest file and fetches the manifest again', async () => {
    const image = await pushImage(registry, 'cache/damaged-manifest', 'v1', [10]);
    const proxy = await startProxy({ allow: [front.host] });
    const url = `${proxy.url}/v2/${front.host}/cache/damaged-manifest/manifests/${image.digest}`;
    await get(url);
    const file = path.join(proxy.cacheDir, 'manifests', 'sha256', image.digest.slice(7));
    const stored = await readFile(file);
    expect(stored.toString()).toBe(`${OCI_MANIFEST}\n${image.manifest.toString()}`);
    await writeFile(file, stored.toString().replace('"schemaVersion":2', '"schemaVersion":3'));

    const gets = manifestGets(front);
    const r = await get(url);
    expect(r.body.equals(image.manifest)).toBe(true);
    expect(manifestGets(front)).toBe(gets + 1);
  });
});

describe('size cap', () => {
  it('evicts the least recently used entries past the cap', async () => {
    const image = await pushImage(registry, 'cache/lru', 'v1', [100_000, 100_000, 100_000]);
    const [a, b, c] = image.layers as [(typeof image.layers)[0], (typeof image.layers)[0], (typeof image.layers)[0]];
    const proxy = await startProxy({ allow: [front.host], cacheMaxBytes: 250_000 });
    const blob = (d: string) => get(`${proxy.url}/v2/${front.host}/cache/lru/blobs/${d}`);
    await blob(a.digest);
    await blob(b.digest);
    await blob(a.digest); // a is now more recently used than b
    await blob(c.digest);
    const files = await cacheFiles(proxy.cacheDir);
    expect(files).toContain(path.join('blobs', 'sha256', a.digest.slice(7)));
    expect(files).toContain(path.join('blobs', 'sha256', c.digest.slice(7)));
    expect(files).not.toContain(path.join('blobs', 'sha256', b.digest.slice(7)));
    let total = 0;
    for (const f of files) total += (await stat(path.join(proxy.cacheDir, f))).size;
    expect(total).toBeLessThanOrEqual(250_000);

    const blobs = front.blobGets();
    expect(sha256((await blob(b.digest)).body)).toBe(b.digest);
    expect(front.blobGets()).toBe(blobs + 1);
  });

  it('streams a blob bigger than the whole cache without caching it', async () => {
    const image = await pushImage(registry, 'cache/too-big', 'v1', [300_000]);
    const layer = image.layers[0]!;
    const proxy = await startProxy({ allow: [front.host], cacheMaxBytes: 200_000 });
    const r = await get(`${proxy.url}/v2/${front.host}/cache/too-big/blobs/${layer.digest}`);
    expect(sha256(r.body)).toBe(layer.digest);
    expect(await cacheFiles(proxy.cacheDir)).toEqual([]);
  });
});

describe('concurrency', () => {
  it('downloads a blob once when several clients ask for it at the same time', async () => {
    const image = await pushImage(registry, 'cache/concurrent', 'v1', [2_000_000]);
    const layer = image.layers[0]!;
    const proxy = await startProxy({ allow: [front.host] });
    const blobs = front.blobGets();
    const url = `${proxy.url}/v2/${front.host}/cache/concurrent/blobs/${layer.digest}`;
    const all = await Promise.all([get(url), get(url), get(url), get(url)]);
    for (const r of all) expect(sha256(r.body)).toBe(layer.digest);
    expect(front.blobGets()).toBe(blobs + 1);
  });

  it('finishes a download into the cache when its client goes away', async () => {
    const image = await pushImage(registry, 'cache/abandoned', 'v1', [4_000_000]);
    const layer = image.layers[0]!;
    const proxy = await startProxy({ allow: [front.host] });
    const url = `${proxy.url}/v2/${front.host}/cache/abandoned/blobs/${layer.digest}`;
    const ac = new AbortController();
    const res = await fetch(url, { signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();

    const file = path.join('blobs', 'sha256', layer.digest.slice(7));
    await eventually(async () => (await cacheFiles(proxy.cacheDir)).includes(file));
    const blobs = front.blobGets();
    const again = await get(url);
    expect(sha256(again.body)).toBe(layer.digest);
    expect(front.blobGets()).toBe(blobs);
  });
});

describe('manifest by digest', () => {
  it('is fetched once and then served from the cache', async () => {
    const image = await pushImage(registry, 'cache/by-digest', 'v1', [10]);
    const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: image.config.digest, size: image.config.bytes.length };
    const other = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [] }));
    const otherDigest = await pushManifest(registry, 'cache/by-digest', 'other', other, OCI_MANIFEST);
    const proxy = await startProxy({ allow: [front.host] });
    const gets = manifestGets(front);
    for (let i = 0; i < 3; i++) {
      const r = await get(`${proxy.url}/v2/${front.host}/cache/by-digest/manifests/${otherDigest}`);
      expect(r.body.equals(other)).toBe(true);
    }
    expect(manifestGets(front)).toBe(gets + 1);
  });
});
