// Bad input gets a typed error, and the store is exactly as it was before.
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium, openHarness } from '../support/chromium.ts';
import { gzipBomb, gzLayer, pushImage, randomLayer } from '../support/image-builder.ts';
import { blobDataPath } from '../support/registry.ts';
import { startFaultRegistry } from './fault-registry.ts';

const registry = inject('registry');
const dataDir = inject('registryDataDir');
let s: BrowserSession;

beforeAll(async () => {
  s = await launchChromium();
  await openHarness(s.page, inject('baseUrl'), 'bad-input');
  await s.page.evaluate(async () => {
    globalThis.E = await T.open({ maxLayerBytes: 256 << 20, registry: { backoffMs: 20, maxRetryAfterSeconds: 2 } });
    // A good image first, so "unchanged" means more than "still empty".
  });
  const ok = await pull(`${registry}/fixtures/hello-wasm:latest`);
  expect(ok.ok).toBe(true);
});
afterAll(() => s?.close());

function pull(ref: string) {
  return s.page.evaluate(async (ref) => {
    try {
      const r = await E.images.pull(ref);
      return { ok: true as const, id: r.image.Id };
    } catch (e) {
      return { ok: false as const, error: T.describe(e) };
    }
  }, ref);
}

const stats = () => s.page.evaluate(() => T.storeStats(E));

/** Pulls `ref`, expects the typed error, and checks the store did not change. */
async function expectRefused(ref: string, errorName: string, message?: RegExp) {
  const before = await stats();
  const r = await pull(ref);
  expect(r.ok, `pull of ${ref} should fail`).toBe(false);
  if (r.ok) return;
  expect(r.error.name, r.error.message).toBe(errorName);
  if (message) expect(r.error.message).toMatch(message);
  expect(await stats()).toEqual(before);
  return r.error;
}

describe('bad input: typed errors, store unchanged', () => {
  it('a layer blob whose bytes do not match its digest', async () => {
    const img = await pushImage(registry, 'bad/blob-digest', [randomLayer(1)]);
    const file = blobDataPath(dataDir, img.layerDigests[0]!);
    const bytes = await readFile(file);
    bytes[bytes.length >> 1]! ^= 0xff;
    await writeFile(file, bytes);
    await expectRefused(img.ref, 'DigestMismatchError', /digest mismatch/);
  });

  it('a manifest whose bytes do not match its digest', async () => {
    const img = await pushImage(registry, 'bad/manifest-digest', [gzLayer([{ name: 'a.txt', data: 'a' }])]);
    const file = blobDataPath(dataDir, img.manifestDigest);
    const text = (await readFile(file, 'utf8')).replace('"schemaVersion":2', '"schemaVersion": 2');
    await writeFile(file, text);
    await expectRefused(img.ref, 'DigestMismatchError');
    await expectRefused(`${registry}/${img.repo}@${img.manifestDigest}`, 'DigestMismatchError');
  });

  it('a truncated gzip layer', async () => {
    const good = randomLayer(1);
    const cut = good.blob.subarray(0, good.blob.length - 5000);
    const img = await pushImage(registry, 'bad/truncated', [{ blob: cut, diffId: good.diffId }]);
    await expectRefused(img.ref, 'LayerFormatError', /truncated|unexpected end/);
  });

  it('a gzip bomb (10 GiB of zeros in a few MB) stops at the layer limit', async () => {
    const blob = gzipBomb(10);
    expect(blob.length).toBeLessThan(12 << 20);
    const img = await pushImage(registry, 'bad/bomb', [{ blob, diffId: `sha256:${'0'.repeat(64)}` }]);
    await expectRefused(img.ref, 'DecompressionLimitError', /more than 268435456 bytes/);
  });

  it('tar entries that climb out with ../', async () => {
    const img = await pushImage(registry, 'bad/dotdot', [gzLayer([{ name: '../../etc/evil', data: 'x' }])]);
    await expectRefused(img.ref, 'HostileLayerError', /escapes the root/);
  });

  it('a file written through an absolute symlink', async () => {
    const img = await pushImage(registry, 'bad/symlink-escape', [
      gzLayer([
        { name: 'etc', type: 'symlink', linkName: '/host-etc' },
        { name: 'etc/passwd', data: 'root::0:0::/:/bin/sh\n' },
      ]),
    ]);
    await expectRefused(img.ref, 'HostileLayerError', /goes through symlink/);
  });

  it('a symlink in a lower layer used to write outside in an upper layer', async () => {
    const img = await pushImage(registry, 'bad/symlink-two-layers', [
      gzLayer([{ name: 'up', type: 'symlink', linkName: '../../..' }]),
      gzLayer([{ name: 'up/x', data: 'x' }]),
    ]);
    await expectRefused(img.ref, 'HostileLayerError', /goes through symlink/);
  });

  it('a hardlink out of the layer', async () => {
    const img = await pushImage(registry, 'bad/hardlink', [gzLayer([{ name: 'shadow', type: 'hardlink', linkName: '../../etc/shadow' }])]);
    await expectRefused(img.ref, 'HostileLayerError');
    const img2 = await pushImage(registry, 'bad/hardlink-missing', [gzLayer([{ name: 'l', type: 'hardlink', linkName: 'nothing/here' }])]);
    await expectRefused(img2.ref, 'HostileLayerError', /not a regular file/);
  });

  it('an unknown layer media type', async () => {
    const l = gzLayer([{ name: 'a', data: 'a' }]);
    const img = await pushImage(registry, 'bad/media-type', [{ ...l, mediaType: 'application/vnd.example.layer.v1+weird' }]);
    await expectRefused(img.ref, 'UnsupportedMediaTypeError', /unsupported layer media type/);
  });

  it('an invalid reference', async () => {
    await expectRefused('UPPER/Case:tag', 'InvalidReferenceError', /must be lowercase/);
    await expectRefused('bad@sha256:123', 'InvalidReferenceError');
  });

  it('an image that does not exist (404)', async () => {
    await expectRefused(`${registry}/fixtures/nope:latest`, 'NotFoundError', /manifest for .* not found/);
  });

  it('401 without a usable challenge', async () => {
    const f = await startFaultRegistry(401);
    try {
      await expectRefused(`${f.host}/x/y:latest`, 'RegistryAuthError', /pull access denied/);
    } finally {
      await f.close();
    }
  });

  it('429 with a long Retry-After is reported at once; a short one is retried', async () => {
    const long = await startFaultRegistry(429, { 'Retry-After': '3600' });
    try {
      const e = await expectRefused(`${long.host}/x/y:latest`, 'RateLimitError', /toomanyrequests/);
      expect(e).toBeDefined();
      expect(long.requests()).toBe(1);
    } finally {
      await long.close();
    }
    const short = await startFaultRegistry(429, { 'Retry-After': '0' });
    try {
      await expectRefused(`${short.host}/x/y:latest`, 'RateLimitError');
      expect(short.requests()).toBe(4);
    } finally {
      await short.close();
    }
  });

  it('500 is retried with backoff, then reported', async () => {
    const f = await startFaultRegistry(500);
    try {
      await expectRefused(`${f.host}/x/y:latest`, 'RegistryError', /HTTP 500/);
      expect(f.requests()).toBe(4);
    } finally {
      await f.close();
    }
  });

  it('a full quota', async () => {
    const img = await pushImage(registry, 'bad/quota', [randomLayer(24)]);
    await s.page.evaluate(() => T.limitStorage(8 << 20));
    try {
      await expectRefused(img.ref, 'QuotaError', /quota/);
    } finally {
      await s.page.evaluate(() => T.limitStorage(null));
    }
    const after = await pull(img.ref);
    expect(after.ok, JSON.stringify(after)).toBe(true);
  });
});
