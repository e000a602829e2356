// The URL fetch endpoint (`/fetch?url=`, for `ADD <url>` in a Dockerfile) against a node:http
// server on 127.0.0.1: what passes (body, headers), redirects, the allowlist and address rules on
// every hop, the size cap, the timeout, and the errors that say what happened.
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProxyConfig, type ProxyConfig } from '../../../proxy/config.ts';
import { createFetchProxy } from '../../../proxy/fetch-endpoint.ts';
import { eventually } from '../../support/proxy-helpers.ts';

const LAST_MODIFIED = 'Sat, 01 Jan 2000 00:00:00 GMT';
const BODY = 'hello from the origin\n';

let origin: http.Server;
let base: string;
const seen: { url: string; method: string; headers: IncomingHttpHeaders }[] = [];
const closers: (() => Promise<void>)[] = [];

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  origin = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', method: req.method ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://x');
    const hop = /^\/hop\/(\d+)$/.exec(url.pathname);
    if (url.pathname === '/file') {
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': Buffer.byteLength(BODY),
        'Last-Modified': LAST_MODIFIED,
        ETag: '"v1"',
      });
      res.end(BODY);
    } else if (hop) {
      const n = Number(hop[1]);
      res.writeHead(n % 2 ? 301 : 307, { Location: n === 0 ? '/file' : `/hop/${n - 1}` }).end();
    } else if (url.pathname === '/loop') {
      res.writeHead(302, { Location: '/loop' }).end();
    } else if (url.pathname === '/away') {
      res.writeHead(302, { Location: url.searchParams.get('to') ?? '' }).end();
    } else if (url.pathname === '/big') {
      res.writeHead(200, { 'Content-Length': '2000' }).end('x'.repeat(2000));
    } else if (url.pathname === '/big-chunked') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      for (let i = 0; i < 20; i++) res.write('x'.repeat(100));
      res.end();
    } else if (url.pathname === '/slow') {
      // Never answers: the proxy's timeout has to end it.
    } else {
      res.writeHead(404, { 'Content-Type': 'text/html' }).end('<h1>nope</h1>');
    }
  });
  base = `http://127.0.0.1:${await listen(origin)}`;
});
afterAll(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** A proxy serving only /fetch, allowed to reach 127.0.0.1 (any port) unless told otherwise. */
async function startFetchProxy(overrides: Partial<ProxyConfig> = {}): Promise<{ url: string; logs: string[] }> {
  const logs: string[] = [];
  const fetcher = createFetchProxy({ ...loadProxyConfig({}), egressAllow: ['127.0.0.1:*'], fetchMaxBytes: 1000, log: (l) => logs.push(l), ...overrides });
  const server = http.createServer((req, res) => fetcher.handle(req, res));
  const port = await listen(server);
  closers.push(async () => fetcher.close());
  return { url: `http://127.0.0.1:${port}`, logs };
}

const fetchUrl = (proxy: string, target: string, init: RequestInit = {}) => fetch(`${proxy}/fetch?url=${encodeURIComponent(target)}`, init);
const errorOf = async (r: Response) => ((await r.json()) as { error: string }).error;

describe('/fetch', () => {
  it('passes the body with Content-Length, Content-Type, Last-Modified, ETag and CORS headers; sends nothing of the browser’s', async () => {
    const p = await startFetchProxy();
    const before = seen.length;
    const r = await fetchUrl(p.url, `${base}/file#fragment`, {
      headers: { Origin: 'https://demo.example', Cookie: 'session=secret', Authorization: 'Bearer page-token', 'X-Custom': '1' },
    });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe(BODY);
    expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(BODY)));
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(r.headers.get('last-modified')).toBe(LAST_MODIFIED);
    expect(r.headers.get('etag')).toBe('"v1"');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-expose-headers')).toContain('ETag');
    // Served from the proxy's origin, the bytes are never a page of it.
    expect(r.headers.get('content-security-policy')).toContain('sandbox');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const upstream = seen.slice(before);
    expect(upstream.map((s) => s.url)).toEqual(['/file']);
    expect(Object.keys(upstream[0]!.headers).sort()).toEqual(['accept', 'connection', 'host', 'user-agent']);
    await eventually(() => p.logs.length === 1);
    expect(p.logs[0]).toMatch(new RegExp(`GET ${base.replace(/[.:/]/g, '\\$&')}/file 200 ${Buffer.byteLength(BODY)}B cache=- \\d+ms$`));
  });

  it('answers HEAD with the headers only', async () => {
    const p = await startFetchProxy();
    const r = await fetchUrl(p.url, `${base}/file`, { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.headers.get('last-modified')).toBe(LAST_MODIFIED);
    expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(BODY)));
    expect(seen.at(-1)!.method).toBe('HEAD');
  });

  it('follows a chain of redirects server-side, up to 5', async () => {
    const p = await startFetchProxy();
    const r = await fetchUrl(p.url, `${base}/hop/4`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe(BODY);
    const loop = await fetchUrl(p.url, `${base}/loop`);
    expect(loop.status).toBe(502);
    expect(await errorOf(loop)).toBe(`fetch ${base}/loop: more than 5 redirects`);
  });

  it('refuses a redirect to a host that is not allowed, before connecting to it', async () => {
    const p = await startFetchProxy();
    const other = http.createServer((_req, res) => res.end('should not be reached'));
    const otherPort = await listen(other);
    let reached = 0;
    other.on('request', () => reached++);
    for (const to of [`http://localhost:${otherPort}/file`, `http://127.0.0.2:${otherPort}/file`, 'http://example.org/file']) {
      const r = await fetchUrl(p.url, `${base}/away?to=${encodeURIComponent(to)}`);
      expect(r.status, to).toBe(403);
      const host = `${new URL(to).hostname}:${new URL(to).port || 80}`;
      expect(await errorOf(r)).toBe(
        `fetch ${base}/away?to=${encodeURIComponent(to)}: redirected to ${to}: ${host} is not on the proxy's egressAllow list (PROXY_EGRESS_ALLOW)`,
      );
    }
    const ftp = await fetchUrl(p.url, `${base}/away?to=${encodeURIComponent('ftp://127.0.0.1/x')}`);
    expect(ftp.status).toBe(502);
    expect(await errorOf(ftp)).toContain('redirected to a ftp: URL');
    expect(reached).toBe(0);
  });

  it('cuts a body over fetchMaxBytes: with an error when announced, by closing the connection when not', async () => {
    const p = await startFetchProxy();
    const announced = await fetchUrl(p.url, `${base}/big`);
    expect(announced.status).toBe(502);
    expect(await errorOf(announced)).toBe(`fetch ${base}/big: larger than the proxy's fetchMaxBytes (1000 bytes)`);
    const chunked = await fetchUrl(p.url, `${base}/big-chunked`);
    expect(chunked.status).toBe(200);
    await expect(chunked.arrayBuffer()).rejects.toThrow();
    await eventually(() => p.logs.some((l) => l.includes('/big-chunked')));
    expect(p.logs.find((l) => l.includes('/big-chunked'))).toMatch(/ incomplete error=".*larger than the proxy's fetchMaxBytes \(1000 bytes\)"$/);
  });

  it('reports an upstream error status, and a timeout', async () => {
    const p = await startFetchProxy({ upstreamTimeoutMs: 300 });
    const missing = await fetchUrl(p.url, `${base}/missing`);
    expect(missing.status).toBe(502);
    expect(missing.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await errorOf(missing)).toBe(`fetch ${base}/missing: 404 Not Found`);
    const redirected = await fetchUrl(p.url, `${base}/away?to=/missing`);
    expect(await errorOf(redirected)).toBe(`fetch ${base}/away?to=/missing (redirected to ${base}/missing): 404 Not Found`);
    const slow = await fetchUrl(p.url, `${base}/slow`);
    expect(slow.status).toBe(504);
    expect(await errorOf(slow)).toBe(`fetch ${base}/slow: no answer from ${new URL(base).host} within 300 ms`);
  });

  it('refuses URLs that are not absolute http(s), or carry credentials', async () => {
    const p = await startFetchProxy();
    for (const [target, message] of [
      ['ftp://127.0.0.1/file', 'fetch ftp://127.0.0.1/file: only http and https URLs are fetched'],
      ['file:///etc/passwd', 'fetch file:///etc/passwd: only http and https URLs are fetched'],
      ['/file', 'fetch /file: not an absolute URL'],
      [`http://user:secret@127.0.0.1:1/file`, 'fetch http://127.0.0.1:1/file: URLs with credentials are not fetched'],
    ]) {
      const r = await fetchUrl(p.url, target!);
      expect(r.status, target).toBe(400);
      expect(await errorOf(r)).toBe(message);
    }
    const none = await fetch(`${p.url}/fetch`);
    expect(none.status).toBe(400);
    const post = await fetch(`${p.url}/fetch?url=${encodeURIComponent(`${base}/file`)}`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('refuses every host by default, and names that resolve to a non-public address', async () => {
    const closed = await startFetchProxy({ egressAllow: [] });
    const before = seen.length;
    const r = await fetchUrl(closed.url, `${base}/file`);
    expect(r.status).toBe(403);
    expect(await errorOf(r)).toBe(`fetch ${base}/file: ${new URL(base).host} is not on the proxy's egressAllow list (PROXY_EGRESS_ALLOW)`);
    // A name on the list is still checked for what it resolves to: loopback needs an IP entry.
    const byName = await startFetchProxy({ egressAllow: ['localhost:*'] });
    const local = await fetchUrl(byName.url, `http://localhost:${new URL(base).port}/file`);
    expect(local.status).toBe(403);
    expect(await errorOf(local)).toMatch(/: localhost:\d+ resolves to non-public (127\.0\.0\.1|::1)/);
    expect(seen.length).toBe(before);
  });
});
