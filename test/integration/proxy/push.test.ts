// Pushing through the proxy to a real docker-registry (open, and with token auth), with the
// engine's RegistryClient pointed at the proxy: chunked uploads, mounts, skips, manifests, the
// Location rewriting a browser follows, and a pull of what was pushed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../../core/oci/digest.ts';
import { parseReference, type Reference } from '../../../core/oci/reference.ts';
import { RegistryClient } from '../../../engine/registry/client.ts';
import {
  cacheFiles,
  cleanup,
  type Front,
  get,
  OCI_MANIFEST,
  type PushedImage,
  pull,
  pushImage,
  sha256,
  startFront,
  startProxy,
  type TestProxy,
  tempDir,
  tokenAuthDir,
} from '../../support/proxy-helpers.ts';
import { type RunningRegistry, startRegistry, startTokenAuthRegistry } from '../../support/registry.ts';

let registry: RunningRegistry;
let front: Front;
let proxy: TestProxy;
let base: PushedImage;

beforeAll(async () => {
  registry = await startRegistry({ dataDir: await tempDir() });
  base = await pushImage(registry, 'team/base', 'v1', [3000]);
  front = await startFront(registry);
  proxy = await startProxy({ allow: [front.host], pushAllow: [front.host] });
});
afterAll(async () => {
  await cleanup();
  await registry.stop();
});

const through = (p: TestProxy) => new RegistryClient({ proxy: `${p.url}/`, proxyLoopback: true, attempts: 1 });
const digestOf = (b: Uint8Array) => sha256(b) as Digest;

/** A config blob and an OCI manifest over `layers`; `note` makes otherwise equal manifests differ. */
function imageOf(layers: { digest: string; size: number }[], note = '') {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l })),
      ...(note ? { annotations: { note } } : {}),
    }),
  );
  return { config, manifest };
}

/** What `docker push` does per blob: skip it if the repository has it, mount it if `from` has it, else upload it. */
async function pushBlob(client: RegistryClient, ref: Reference, bytes: Uint8Array, from?: string): Promise<'exists' | 'mounted' | 'uploaded'> {
  const digest = digestOf(bytes);
  if (await client.hasBlob(ref, digest)) return 'exists';
  if (from && (await client.mountBlob(ref, digest, from))) return 'mounted';
  await client.uploadBlob(ref, digest, bytes);
  return 'uploaded';
}

describe('push through the proxy', () => {
  it('uploads a layer in chunks, mounts one, skips one that exists, puts the manifest; a pull gets the same digest', async () => {
    // The base layer is now in the proxy's cache; that must not make it look present in team/app.
    await pull(proxy.url, front.host, 'team/base', 'v1');
    const cachedBefore = await cacheFiles(proxy.cacheDir);
    const client = through(proxy);
    const ref = parseReference(`${front.host}/team/app:v1`);
    const elsewhere = await fetch(`${proxy.url}/v2/${front.host}/team/app/manifests/${base.digest}`, { method: 'HEAD' });
    expect(elsewhere.status).toBe(404);
    const big = randomBytes(6 * 1024 * 1024); // two chunks of the client's 5 MiB
    const baseLayer = base.layers[0]!;

    const start = front.requests.length;
    expect(await pushBlob(client, ref, big)).toBe('uploaded');
    const upload = front.requests.slice(start);
    expect(upload.map((r) => r.method)).toEqual(['HEAD', 'POST', 'PATCH', 'PATCH', 'PUT']);
    expect(upload.filter((r) => r.method === 'PATCH').map((r) => r.headers['content-range'])).toEqual(['0-5242879', `5242880-${big.length - 1}`]);
    expect(upload[4]!.url).toMatch(/^\/v2\/team\/app\/blobs\/uploads\/[0-9a-f-]{36}\?_state=.*&digest=sha256%3A[0-9a-f]{64}$/);

    expect(await pushBlob(client, ref, baseLayer.bytes, 'team/base')).toBe('mounted');
    expect(await pushBlob(client, ref, big)).toBe('exists');
    // Each existence check asked the registry, not the cache.
    const heads = proxy.logs.filter((l) => / HEAD /.test(l));
    expect(heads.length).toBeGreaterThanOrEqual(3);
    for (const l of heads) expect(l).toContain(' cache=bypass ');
    const { config, manifest } = imageOf([
      { digest: baseLayer.digest, size: baseLayer.bytes.length },
      { digest: digestOf(big), size: big.length },
    ]);
    expect(await pushBlob(client, ref, config)).toBe('uploaded');
    const digest = await client.putManifest(ref, manifest, OCI_MANIFEST);
    expect(digest).toBe(sha256(manifest));
    // Pushes are never cached.
    expect(await cacheFiles(proxy.cacheDir)).toEqual(cachedBefore);

    // The registry has it, and a pull through the proxy gets it back, every blob verified.
    const direct = await fetch(`${registry.url}/v2/team/app/manifests/v1`, { method: 'HEAD', headers: { Accept: OCI_MANIFEST } });
    expect(direct.headers.get('docker-content-digest')).toBe(digest);
    expect((await client.getManifest(ref)).digest).toBe(digest);
    const blobs = await pull(proxy.url, front.host, 'team/app', 'v1');
    expect(blobs.get(digestOf(big))!.equals(big)).toBe(true);
  });

  it('gives the browser a Location under the proxy, with the upstream state, and the upload headers it needs', async () => {
    const uploads = `${proxy.url}/v2/${front.host}/team/app/blobs/uploads/`;
    const started = await fetch(uploads, { method: 'POST', headers: { Origin: 'https://demo.example' } });
    expect(started.status).toBe(202);
    const location = started.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^/v2/${front.host.replace(/[.:]/g, '\\$&')}/team/app/blobs/uploads/[0-9a-f-]{36}\\?_state=`));
    expect(started.headers.get('docker-upload-uuid')).toBe(/uploads\/([0-9a-f-]{36})/.exec(location)![1]);
    expect(started.headers.get('range')).toBe('0-0');
    const exposed = started.headers.get('access-control-expose-headers') ?? '';
    for (const h of ['Location', 'Range', 'Docker-Upload-UUID', 'Docker-Content-Digest']) expect(exposed).toContain(h);

    const chunk = await fetch(`${proxy.url}${location}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-9' },
      body: new Uint8Array(10),
    });
    expect(chunk.status).toBe(202);
    expect(chunk.headers.get('range')).toBe('0-9');
    const next = chunk.headers.get('location')!;
    const status = await fetch(`${proxy.url}${next}`);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-9');
    const cancelled = await fetch(`${proxy.url}${next}`, { method: 'DELETE' });
    expect(cancelled.status).toBe(204);
    expect((await fetch(`${proxy.url}${next}`)).status).toBe(404);
  });

  it('streams a whole blob in the closing PUT (?digest=) of a monolithic upload', async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const digest = sha256(bytes);
    const started = await fetch(`${proxy.url}/v2/${front.host}/team/mono/blobs/uploads/`, { method: 'POST' });
    const put = await fetch(`${proxy.url}${started.headers.get('location')}&digest=${encodeURIComponent(digest)}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    expect(put.status).toBe(201);
    expect(put.headers.get('location')).toBe(`/v2/${front.host}/team/mono/blobs/${digest}`);
    expect(put.headers.get('docker-content-digest')).toBe(digest);
    const sent = front.requests.at(-1)!;
    expect(sent.headers['content-length']).toBe(String(bytes.length));
    expect(sent.headers['content-type']).toBe('application/octet-stream');
    expect((await get(`${registry.url}/v2/team/mono/blobs/${digest}`)).body.equals(bytes)).toBe(true);
  });

  it('answers preflights for the methods and headers of a push', async () => {
    const r = await fetch(`${proxy.url}/v2/${front.host}/team/app/blobs/uploads/x`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://demo.example', 'Access-Control-Request-Method': 'PATCH', 'Access-Control-Request-Headers': 'content-type,content-range' },
    });
    expect(r.status).toBe(204);
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(r.headers.get('access-control-allow-methods')).toContain(m);
    for (const h of ['Content-Type', 'Content-Range', 'Content-Length']) expect(r.headers.get('access-control-allow-headers')).toContain(h);
  });

  it('a tag pushed again is what the next pull through the proxy gets', async () => {
    const client = through(proxy);
    const ref = parseReference(`${front.host}/team/moving:latest`);
    const first = imageOf([], 'first');
    const second = imageOf([], 'second');
    await pushBlob(client, ref, first.config);
    const d1 = await client.putManifest(ref, first.manifest, OCI_MANIFEST);
    // Resolved once: the proxy keeps the tag's digest for tagTtlSeconds (60 s).
    expect((await client.getManifest(ref)).digest).toBe(d1);
    const d2 = await client.putManifest(ref, second.manifest, OCI_MANIFEST);
    expect(d2).not.toBe(d1);
    expect((await client.getManifest(ref)).digest).toBe(d2);
  });
});

describe('push through the proxy to a token-auth registry', () => {
  it('asks for push,pull on the repository, and pull on the one a mount is from', async () => {
    const auth = await startTokenAuthRegistry({ dataDir: await tempDir(), authDir: await tokenAuthDir(), push: true });
    try {
      const p = await startProxy({ allow: [auth.host], pushAllow: [auth.host] });
      // The very first request carries a streamed body (registry:2 ignores a POST's; it starts a
      // session): the proxy learns the challenge before sending it, as it can't send it twice.
      const layer = randomBytes(100_000);
      const query = `digest=${encodeURIComponent(sha256(layer))}`;
      const started = await fetch(`${p.url}/v2/${auth.host}/secured/base/blobs/uploads/?${query}`, { method: 'POST', body: layer });
      expect(started.status).toBe(202);
      const put = await fetch(`${p.url}${started.headers.get('location')}&${query}`, { method: 'PUT', body: layer });
      expect(put.status).toBe(201);

      const client = through(p);
      const ref = parseReference(`${auth.host}/secured/app:v1`);
      expect(await pushBlob(client, ref, layer, 'secured/base')).toBe('mounted');
      const chunked = randomBytes(6 * 1024 * 1024);
      expect(await pushBlob(client, ref, chunked)).toBe('uploaded');
      const { config, manifest } = imageOf([
        { digest: sha256(layer), size: layer.length },
        { digest: sha256(chunked), size: chunked.length },
      ]);
      expect(await pushBlob(client, ref, config)).toBe('uploaded');
      const digest = await client.putManifest(ref, manifest, OCI_MANIFEST);
      expect((await client.getManifest(ref)).digest).toBe(digest);
      const blobs = await pull(p.url, auth.host, 'secured/app', 'v1');
      expect(blobs.get(sha256(chunked))!.equals(chunked)).toBe(true);
    } finally {
      await auth.stop();
    }
  });
});
