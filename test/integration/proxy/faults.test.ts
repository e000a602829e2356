// Upstream failures: down, rate-limited, failing, stalling, cutting a blob short or sending wrong
// bytes. The client gets a registry-style error (or a cut connection once a body has started),
// and the cache never keeps anything partial or wrong.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cacheFiles,
  cleanup,
  errorCodes,
  eventually,
  get,
  OCI_MANIFEST,
  type PushedImage,
  pushImage,
  sha256,
  startFront,
  startProxy,
  tempDir,
} from '../../support/proxy-helpers.ts';
import { type RunningRegistry, startRegistry } from '../../support/registry.ts';

let registry: RunningRegistry;
let image: PushedImage;

beforeAll(async () => {
  registry = await startRegistry({ dataDir: await tempDir() });
  image = await pushImage(registry, 'faulty/app', 'v1', [1_000_000]);
});
afterAll(async () => {
  await cleanup();
  await registry.stop();
});

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Lists the cache once the proxy has cleaned up after a failed download (and logged it). */
async function settledCacheFiles(dir: string, logs: string[], lines: number): Promise<string[]> {
  await eventually(async () => logs.length >= lines && (await cacheFiles(dir)).length === 0);
  return cacheFiles(dir);
}

describe('upstream faults', () => {
  it('upstream down: 502 UNAVAILABLE', async () => {
    const host = `127.0.0.1:${await closedPort()}`;
    const proxy = await startProxy({ allow: [host] });
    for (const path of [`/v2/${host}/faulty/app/manifests/v1`, `/v2/${host}/faulty/app/blobs/${image.layers[0]!.digest}`, `/v2/${host}/`]) {
      const r = await get(`${proxy.url}${path}`);
      expect(r.status).toBe(502);
      expect(errorCodes(r.body)).toEqual(['UNAVAILABLE']);
      expect(JSON.parse(r.body.toString()).errors[0].message).toContain('ECONNREFUSED');
    }
    expect(await cacheFiles(proxy.cacheDir)).toEqual([]);
  });

  it('429 with Retry-After: status, Retry-After and the upstream message reach the client', async () => {
    const limited = await startFront();
    limited.intercept = (_req, res) => {
      const body = JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit.' }] });
      res.writeHead(429, { 'Retry-After': '17', 'Content-Type': 'application/json' }).end(body);
      return true;
    };
    const proxy = await startProxy({ allow: [limited.host] });
    const manifest = await get(`${proxy.url}/v2/${limited.host}/faulty/app/manifests/v1`);
    expect(manifest.status).toBe(429);
    expect(manifest.headers.get('retry-after')).toBe('17');
    expect(errorCodes(manifest.body)).toEqual(['TOOMANYREQUESTS']);
    // The tag lookup (a HEAD) was refused; the proxy did not spend a GET on top of it.
    expect(limited.requests.map((r) => r.method)).toEqual(['HEAD']);

    const blob = await get(`${proxy.url}/v2/${limited.host}/faulty/app/blobs/${image.layers[0]!.digest}`);
    expect(blob.status).toBe(429);
    expect(blob.headers.get('retry-after')).toBe('17');
    expect(JSON.parse(blob.body.toString()).errors[0]).toEqual({ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit.' });
    expect(await cacheFiles(proxy.cacheDir)).toEqual([]);
  });

  it('5xx: passed through with its status', async () => {
    const failing = await startFront();
    failing.intercept = (_req, res) => {
      res.writeHead(503, { 'Content-Type': 'text/html' }).end('<h1>maintenance</h1>');
      return true;
    };
    const proxy = await startProxy({ allow: [failing.host] });
    const r = await get(`${proxy.url}/v2/${failing.host}/faulty/app/blobs/${image.layers[0]!.digest}`);
    expect(r.status).toBe(503);
    expect(errorCodes(r.body)).toEqual(['UNAVAILABLE']);
  });

  it('an upstream that never answers: 504 after the timeout', async () => {
    const stalled = await startFront();
    stalled.intercept = () => true; // holds the request open
    const proxy = await startProxy({ allow: [stalled.host], upstreamTimeoutMs: 300 });
    const t0 = performance.now();
    const r = await get(`${proxy.url}/v2/${stalled.host}/faulty/app/manifests/v1`);
    expect(r.status).toBe(504);
    expect(errorCodes(r.body)).toEqual(['UNAVAILABLE']);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('upstream closing mid-blob: the client sees an error, no partial blob is cached, a retry works', async () => {
    const layer = image.layers[0]!;
    const front = await startFront(registry);
    front.intercept = (req, res) => {
      if (!req.url?.endsWith(layer.digest)) return false;
      res.writeHead(200, { 'Content-Length': String(layer.bytes.length), 'Content-Type': 'application/octet-stream' });
      res.write(layer.bytes.subarray(0, 300_000), () => res.socket?.destroy());
      return true;
    };
    const proxy = await startProxy({ allow: [front.host] });
    const url = `${proxy.url}/v2/${front.host}/faulty/app/blobs/${layer.digest}`;
    const res = await fetch(url);
    expect(res.status).toBe(200); // the headers were already on their way
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(await settledCacheFiles(proxy.cacheDir, proxy.logs, 1)).toEqual([]);
    expect(proxy.logs.at(-1)).toMatch(/ incomplete error=".*ended the blob early/);

    front.intercept = undefined;
    const retry = await get(url);
    expect(sha256(retry.body)).toBe(layer.digest);
    expect(await cacheFiles(proxy.cacheDir)).toEqual([`blobs/sha256/${layer.digest.slice(7)}`]);
  });

  it('upstream sending wrong bytes: the body is cut before its end and nothing is cached', async () => {
    const layer = image.layers[0]!;
    const liar = await startFront();
    liar.intercept = (_req, res) => {
      const wrong = Buffer.from(layer.bytes);
      wrong[wrong.length - 1] = wrong[wrong.length - 1]! ^ 1;
      res.writeHead(200, { 'Content-Length': String(wrong.length) }).end(wrong);
      return true;
    };
    const proxy = await startProxy({ allow: [liar.host] });
    const res = await fetch(`${proxy.url}/v2/${liar.host}/faulty/app/blobs/${layer.digest}`);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(await settledCacheFiles(proxy.cacheDir, proxy.logs, 1)).toEqual([]);
    expect(proxy.logs.at(-1)).toMatch(/error=".*do not match/);
  });

  it('a manifest that does not match its digest: 502 DIGEST_INVALID, nothing cached', async () => {
    const liar = await startFront();
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] }));
    liar.intercept = (req, res) => {
      res.writeHead(200, { 'Content-Type': OCI_MANIFEST, 'Docker-Content-Digest': image.digest }).end(req.method === 'HEAD' ? undefined : bytes);
      return true;
    };
    const proxy = await startProxy({ allow: [liar.host] });
    for (const ref of ['v1', image.digest]) {
      const r = await get(`${proxy.url}/v2/${liar.host}/faulty/app/manifests/${ref}`);
      expect(r.status).toBe(502);
      expect(errorCodes(r.body)).toEqual(['DIGEST_INVALID']);
    }
    expect(await cacheFiles(proxy.cacheDir)).toEqual([]);
  });
});
