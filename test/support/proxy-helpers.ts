// Shared pieces of the proxy tests: a proxy on a free port with a temporary cache, a pass-through
// "front" that counts (and can fake) what reaches the upstream, and synthetic images.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadProxyConfig, type ProxyConfig } from '../../proxy/config.ts';
import { createRegistryProxy } from '../../proxy/server.ts';
import { pushBlob, pushManifest, type RunningRegistry } from './registry.ts';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const cleanups: (() => Promise<void>)[] = [];
/** Stops everything the helpers started (call from afterAll). */
export async function cleanup(): Promise<void> {
  await Promise.all(cleanups.splice(0).map((f) => f()));
}

export async function tempDir(prefix = 'proxy-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function listen(server: http.Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

function closer(server: http.Server): () => Promise<void> {
  let closed: Promise<void> | undefined;
  return () =>
    (closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
}

export interface TestProxy {
  url: string;
  cacheDir: string;
  logs: string[];
  stop(): Promise<void>;
}

/** The proxy on 127.0.0.1:<free port>, loopback upstreams allowed, logging into `logs`. */
export async function startProxy(overrides: Partial<ProxyConfig> = {}): Promise<TestProxy> {
  const cacheDir = overrides.cacheDir ?? (await tempDir('proxy-cache-'));
  const logs: string[] = [];
  const proxy = createRegistryProxy({
    ...loadProxyConfig({}),
    allowPrivate: ['loopback'],
    cacheDir,
    log: (line) => logs.push(line),
    ...overrides,
  });
  const server = http.createServer((req, res) => proxy.handle(req, res));
  const port = await listen(server);
  const close = closer(server);
  const stop = async () => {
    await close();
    await proxy.close();
  };
  cleanups.push(stop);
  return { url: `http://127.0.0.1:${port}`, cacheDir, logs, stop };
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** Return true when the request was answered; false lets it through to the target. */
export type Intercept = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface Front {
  /** 127.0.0.1:PORT, the registry host the proxy is pointed at. */
  host: string;
  url: string;
  requests: SeenRequest[];
  intercept: Intercept | undefined;
  /** Blob GETs that reached this upstream. */
  blobGets(): number;
  stop(): Promise<void>;
}

/**
 * A node:http server in front of a registry process (or of nothing): it records every request
 * the proxy sends upstream and can answer some itself (faults, redirects).
 */
export async function startFront(target?: { port: number }, bindHost = '127.0.0.1'): Promise<Front> {
  const front: Front = {
    host: '',
    url: '',
    requests: [],
    intercept: undefined,
    blobGets: () => front.requests.filter((r) => r.method === 'GET' && /\/blobs\/sha256:/.test(r.url)).length,
    stop: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    front.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (front.intercept?.(req, res)) return;
    if (!target) {
      res.writeHead(404).end();
      return;
    }
    const up = http.request({ host: '127.0.0.1', port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const port = await listen(server, bindHost);
  front.host = `${bindHost}:${port}`;
  front.url = `http://${front.host}`;
  front.stop = closer(server);
  cleanups.push(front.stop);
  return front;
}

export interface PushedImage {
  digest: string;
  manifest: Buffer;
  config: { digest: string; bytes: Buffer };
  layers: { digest: string; bytes: Buffer }[];
}

/** Pushes a synthetic OCI image (random, incompressible layers of the given sizes). */
export async function pushImage(reg: RunningRegistry, repo: string, tag: string, layerSizes: number[]): Promise<PushedImage> {
  const layers = layerSizes.map((n) => ({ bytes: randomBytes(n), digest: '' }));
  for (const l of layers) l.digest = await pushBlob(reg, repo, l.bytes);
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }));
  const config = { bytes: configBytes, digest: await pushBlob(reg, repo, configBytes) };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: l.bytes.length })),
    }),
  );
  const digest = await pushManifest(reg, repo, tag, manifest, OCI_MANIFEST);
  return { digest, manifest, config, layers };
}

export interface Fetched {
  status: number;
  headers: Headers;
  body: Buffer;
}

export async function get(url: string, init: RequestInit = {}): Promise<Fetched> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** Pulls manifest, config and layers through the proxy as a client would; returns the blobs by digest. */
export async function pull(proxyUrl: string, registry: string, repo: string, tag: string): Promise<Map<string, Buffer>> {
  const m = await get(`${proxyUrl}/v2/${registry}/${repo}/manifests/${tag}`);
  if (m.status !== 200) throw new Error(`manifest: ${m.status} ${m.body.toString()}`);
  if (m.headers.get('docker-content-digest') !== sha256(m.body)) throw new Error('manifest digest mismatch');
  const manifest = JSON.parse(m.body.toString()) as { config: { digest: string }; layers: { digest: string }[] };
  const out = new Map<string, Buffer>();
  for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    const b = await get(`${proxyUrl}/v2/${registry}/${repo}/blobs/${d}`);
    if (b.status !== 200 || sha256(b.body) !== d) throw new Error(`blob ${d}: ${b.status}`);
    out.set(d, b.body);
  }
  return out;
}

/** Error body of a registry-style error answer. */
export function errorCodes(body: Buffer): string[] {
  const parsed = JSON.parse(body.toString()) as { errors: { code: string; message: string }[] };
  return parsed.errors.map((e) => e.code);
}

/** Files in the cache directory (relative paths), tmp/ included. */
export async function cacheFiles(cacheDir: string): Promise<string[]> {
  const entries = await readdir(cacheDir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(cacheDir, path.join(e.parentPath, e.name)))
    .sort();
}

/** Polls until `check` holds (or 2 s pass), for effects that land just after a response: log lines, cache cleanup. */
export async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
}

/** Signing key + certificate for the fixture token-auth registry (startTokenAuthRegistry's authDir). */
export async function tokenAuthDir(): Promise<string> {
  const dir = await tempDir('proxy-token-');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=fixtures-token-issuer',
    '-keyout',
    path.join(dir, 'token.key'),
    '-out',
    path.join(dir, 'token.crt'),
  ]);
  return dir;
}

/** Raw request, for paths fetch() would normalise (`..`). */
export function rawGet(url: string, rawPath: string): Promise<{ status: number; body: Buffer }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
