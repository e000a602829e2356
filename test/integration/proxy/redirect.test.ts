// Blob downloads that a registry redirects to a CDN (as Docker Hub does): followed server-side,
// without the registry token, and subject to the same address policy as the registry.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cacheFiles,
  cleanup,
  errorCodes,
  type Front,
  get,
  type PushedImage,
  pull,
  pushImage,
  sha256,
  startFront,
  startProxy,
  tempDir,
  tokenAuthDir,
} from '../../support/proxy-helpers.ts';
import { type RunningRegistry, startRegistry, startTokenAuthRegistry } from '../../support/registry.ts';

let open: RunningRegistry;
let auth: RunningRegistry;
let image: PushedImage;
const cdnBytes = new Map<string, Buffer>();

/**
 * In front of the token-auth registry: a blob GET that the registry accepts (the token was
 * good) is answered with a 307 to `cdn` instead of the bytes, like registry-1.docker.io does.
 */
async function redirectingRegistry(cdn: Front): Promise<Front> {
  const front = await startFront(auth);
  front.intercept = (req, res) => {
    const m = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !m) return false;
    const check = http.request({ host: '127.0.0.1', port: auth.port, path: req.url, headers: req.headers }, (r) => {
      if (r.statusCode !== 200) {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
        return;
      }
      r.resume();
      res.writeHead(307, { Location: `${cdn.url}/signed/${m[1]}?expires=1&sig=abc` }).end();
    });
    check.end();
    return true;
  };
  return front;
}

async function startCdn(host = '127.0.0.1'): Promise<Front> {
  const cdn = await startFront(undefined, host);
  cdn.intercept = (req, res) => {
    const bytes = cdnBytes.get(/\/signed\/(sha256:[a-f0-9]{64})/.exec(req.url ?? '')?.[1] ?? '');
    if (!bytes) return false;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) }).end(bytes);
    return true;
  };
  return cdn;
}

beforeAll(async () => {
  const dataDir = await tempDir();
  open = await startRegistry({ dataDir });
  image = await pushImage(open, 'hub/app', 'v1', [150_000, 2000]);
  for (const b of [image.config, ...image.layers]) cdnBytes.set(b.digest, b.bytes);
  auth = await startTokenAuthRegistry({ dataDir, authDir: await tokenAuthDir() });
});
afterAll(async () => {
  await cleanup();
  await Promise.all([open?.stop(), auth?.stop()]);
});

describe('blob redirects', () => {
  it('are followed by the proxy: the client gets the bytes with a 200, the CDN never sees the token', async () => {
    const cdn = await startCdn();
    const registry = await redirectingRegistry(cdn);
    const proxy = await startProxy({ allow: [registry.host] });

    const layer = image.layers[0]!;
    const r = await fetch(`${proxy.url}/v2/${registry.host}/hub/app/blobs/${layer.digest}`, { redirect: 'manual' });
    expect(r.status).toBe(200);
    expect(r.headers.get('location')).toBeNull();
    expect(sha256(Buffer.from(await r.arrayBuffer()))).toBe(layer.digest);

    const atRegistry = registry.requests.filter((q) => q.url.endsWith(layer.digest));
    expect(atRegistry.some((q) => q.headers.authorization?.startsWith('Bearer '))).toBe(true);
    expect(cdn.requests.length).toBe(1);
    expect(cdn.requests[0]!.url).toBe(`/signed/${layer.digest}?expires=1&sig=abc`);
    expect(cdn.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('are not followed again once the blob is cached', async () => {
    const cdn = await startCdn();
    const registry = await redirectingRegistry(cdn);
    const proxy = await startProxy({ allow: [registry.host] });
    await pull(proxy.url, registry.host, 'hub/app', 'v1');
    expect(cdn.requests.length).toBe(3);
    const pulled = await pull(proxy.url, registry.host, 'hub/app', 'v1');
    expect(cdn.requests.length).toBe(3);
    expect(pulled.get(image.layers[0]!.digest)!.equals(image.layers[0]!.bytes)).toBe(true);
  });

  it('to a non-public address the config does not allow are refused, and nothing is cached', async () => {
    const cdn = await startCdn('127.0.0.2');
    const registry = await redirectingRegistry(cdn);
    // The registry (127.0.0.1) is allowed; the "CDN" (127.0.0.2) is not.
    const proxy = await startProxy({ allow: [registry.host], allowPrivate: ['127.0.0.1'] });
    const layer = image.layers[1]!;
    const r = await get(`${proxy.url}/v2/${registry.host}/hub/app/blobs/${layer.digest}`);
    expect(r.status).toBe(403);
    expect(errorCodes(r.body)).toEqual(['DENIED']);
    expect(cdn.requests.length).toBe(0);
    expect(await cacheFiles(proxy.cacheDir)).toEqual([]);
  });
});
