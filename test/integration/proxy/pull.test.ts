// Pulling through the proxy from a real, open docker-registry: the URL scheme, headers, CORS,
// what is (and is not) sent upstream, and the request log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_ACCEPT } from '../../../core/oci/media-types.ts';
import {
  cleanup,
  errorCodes,
  eventually,
  type Front,
  get,
  OCI_MANIFEST,
  type PushedImage,
  pull,
  pushImage,
  startFront,
  startProxy,
  type TestProxy,
  tempDir,
} from '../../support/proxy-helpers.ts';
import { type RunningRegistry, startRegistry } from '../../support/registry.ts';

let registry: RunningRegistry;
let front: Front;
let proxy: TestProxy;
let image: PushedImage;

beforeAll(async () => {
  registry = await startRegistry({ dataDir: await tempDir() });
  image = await pushImage(registry, 'team/app', 'v1', [3000, 200_000]);
  front = await startFront(registry);
  proxy = await startProxy({ allow: [front.host] });
});
afterAll(async () => {
  await cleanup();
  await registry.stop();
});

describe('URL scheme', () => {
  it('answers the ping at /v2/ itself, and pings an upstream at /v2/<registry>/', async () => {
    const before = front.requests.length;
    const own = await get(`${proxy.url}/v2/`);
    expect(own.status).toBe(200);
    expect(own.body.toString()).toBe('{}');
    expect(own.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(front.requests.length).toBe(before);

    const up = await get(`${proxy.url}/v2/${front.host}/`);
    expect(up.status).toBe(200);
    expect(JSON.parse(up.body.toString())).toEqual({});
    expect(front.requests.at(-1)).toMatchObject({ method: 'GET', url: '/v2/' });
  });

  it('serves a manifest by tag and by digest with the upstream bytes, digest and media type', async () => {
    for (const ref of ['v1', image.digest]) {
      const r = await get(`${proxy.url}/v2/${front.host}/team/app/manifests/${ref}`);
      expect(r.status).toBe(200);
      expect(r.body.equals(image.manifest)).toBe(true);
      expect(r.headers.get('docker-content-digest')).toBe(image.digest);
      expect(r.headers.get('content-type')).toBe(OCI_MANIFEST);
      expect(r.headers.get('content-length')).toBe(String(image.manifest.length));
    }
    // Upstream was asked with all four manifest types, whatever the browser sent.
    const manifestRequests = front.requests.filter((r) => r.url.includes('/manifests/'));
    expect(manifestRequests.length).toBeGreaterThan(0);
    for (const r of manifestRequests) expect(r.headers.accept).toBe(MANIFEST_ACCEPT);
  });

  it('pulls the whole image; every blob matches its digest', async () => {
    const blobs = await pull(proxy.url, front.host, 'team/app', 'v1');
    expect([...blobs.keys()]).toEqual([image.config.digest, ...image.layers.map((l) => l.digest)]);
    expect(blobs.get(image.layers[1]!.digest)!.equals(image.layers[1]!.bytes)).toBe(true);
  });

  it('answers HEAD for manifests and blobs with headers only', async () => {
    const m = await fetch(`${proxy.url}/v2/${front.host}/team/app/manifests/v1`, { method: 'HEAD' });
    expect(m.status).toBe(200);
    expect(m.headers.get('docker-content-digest')).toBe(image.digest);
    expect(m.headers.get('content-length')).toBe(String(image.manifest.length));
    const layer = image.layers[1]!;
    const b = await fetch(`${proxy.url}/v2/${front.host}/team/app/blobs/${layer.digest}`, { method: 'HEAD' });
    expect(b.status).toBe(200);
    expect(b.headers.get('content-length')).toBe(String(layer.bytes.length));
    expect(b.headers.get('docker-content-digest')).toBe(layer.digest);
    expect((await b.arrayBuffer()).byteLength).toBe(0);
  });

  it('reaches a registry by name (localhost:<port>), checking the resolved address', async () => {
    const byName = `localhost:${front.host.split(':')[1]}`;
    const p = await startProxy({ allow: [byName], allowPrivate: ['loopback'] });
    const r = await get(`${p.url}/v2/${byName}/team/app/manifests/${image.digest}`);
    expect(r.status).toBe(200);
    expect(r.body.equals(image.manifest)).toBe(true);
    await eventually(() => p.logs.length === 1); // a line is written when its response closes
    expect(p.logs.join('\n')).toContain(`GET http://${byName}/v2/team/app/manifests/`);
  });

  it('lists tags', async () => {
    await pushImage(registry, 'team/app', 'v2', [10]);
    const r = await get(`${proxy.url}/v2/${front.host}/team/app/tags/list`);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body.toString()) as { name: string; tags: string[] };
    expect(body.name).toBe('team/app');
    expect(body.tags.sort()).toEqual(['v1', 'v2']);
  });

  it('passes upstream "not found" through as a registry error with the same status', async () => {
    const m = await get(`${proxy.url}/v2/${front.host}/team/app/manifests/nope`);
    expect(m.status).toBe(404);
    expect(errorCodes(m.body)).toEqual(['MANIFEST_UNKNOWN']);
    const b = await get(`${proxy.url}/v2/${front.host}/team/app/blobs/sha256:${'0'.repeat(64)}`);
    expect(b.status).toBe(404);
    expect(errorCodes(b.body)).toEqual(['BLOB_UNKNOWN']);
    const t = await get(`${proxy.url}/v2/${front.host}/team/none/tags/list`);
    expect(t.status).toBe(404);
    expect(errorCodes(t.body)).toEqual(['NAME_UNKNOWN']);
  });
});

describe('CORS and headers', () => {
  it('answers preflights itself with 204 and the allowed methods and headers', async () => {
    const before = front.requests.length;
    const r = await fetch(`${proxy.url}/v2/${front.host}/team/app/manifests/v1`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://demo.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'accept,range,authorization',
      },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-methods')).toContain('GET');
    for (const h of ['Authorization', 'Accept', 'Range']) expect(r.headers.get('access-control-allow-headers')).toContain(h);
    expect(front.requests.length).toBe(before); // the upstream never sees preflights
  });

  it('exposes the registry headers to scripts on every /v2/ answer, errors included', async () => {
    for (const path of [`/v2/`, `/v2/${front.host}/team/app/manifests/v1`, `/v2/${front.host}/team/app/manifests/nope`]) {
      const r = await fetch(`${proxy.url}${path}`, { headers: { Origin: 'https://demo.example' } });
      await r.arrayBuffer();
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      const exposed = r.headers.get('access-control-expose-headers') ?? '';
      for (const h of ['Docker-Content-Digest', 'WWW-Authenticate', 'Content-Range', 'Content-Length', 'Link']) {
        expect(exposed).toContain(h);
      }
    }
  });

  it('echoes only listed origins when corsOrigin is a list', async () => {
    const strict = await startProxy({ allow: [front.host], corsOrigin: 'https://a.example, https://b.example' });
    const ok = await fetch(`${strict.url}/v2/`, { headers: { Origin: 'https://b.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://b.example');
    expect(ok.headers.get('vary')).toBe('Origin');
    const other = await fetch(`${strict.url}/v2/`, { headers: { Origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('forwards no browser headers upstream: no cookies, no Authorization, nothing custom', async () => {
    const start = front.requests.length;
    await get(`${proxy.url}/v2/${front.host}/team/app/tags/list`, {
      headers: { Cookie: 'session=secret', Authorization: 'Bearer browser-token', 'X-Custom': 'x', Accept: 'text/html' },
    });
    const seen = front.requests.slice(start);
    expect(seen.length).toBe(1);
    const names = Object.keys(seen[0]!.headers);
    expect(names).not.toContain('cookie');
    expect(names).not.toContain('authorization');
    expect(names).not.toContain('x-custom');
    expect(seen[0]!.headers.accept).toBe('application/json');
  });

  it('leaves non-/v2 paths to the next handler (404 standalone)', async () => {
    const r = await get(`${proxy.url}/index.html`);
    expect(r.status).toBe(404);
  });
});

describe('request log', () => {
  it('writes one line per request with method, upstream, status, bytes, cache outcome and time', async () => {
    const fresh = await pushImage(registry, 'team/logged', 'v1', [4321]);
    const layer = fresh.layers[0]!;
    const n = proxy.logs.length;
    await get(`${proxy.url}/v2/${front.host}/team/logged/blobs/${layer.digest}`);
    await get(`${proxy.url}/v2/${front.host}/team/logged/blobs/${layer.digest}`);
    await get(`${proxy.url}/v2/nowhere.example/x/manifests/latest`);
    await eventually(() => proxy.logs.length >= n + 3); // a line is written when its response closes
    const lines = proxy.logs.slice(n);
    expect(lines.length).toBe(3);
    const url = `http://${front.host}/v2/team/logged/blobs/${layer.digest}`.replace(/[.:/]/g, '\\$&');
    expect(lines[0]).toMatch(new RegExp(`^\\S+Z GET ${url} 200 4321B cache=miss \\d+ms$`));
    expect(lines[1]).toMatch(new RegExp(`^\\S+Z GET ${url} 200 4321B cache=hit \\d+ms$`));
    expect(lines[2]).toMatch(/ GET \/v2\/nowhere\.example\/x\/manifests\/latest 403 \d+B cache=- \d+ms error=".*allowlist"$/);
  });
});
