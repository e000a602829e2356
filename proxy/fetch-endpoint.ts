import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ProxyConfig } from './config.ts';
import { corsHeaders, PREFLIGHT_HEADERS } from './cors.ts';
import { EgressPolicy } from './egress-policy.ts';
import { FetchError, sendFetchError } from './errors.ts';
import { openUrl } from './fetch-upstream.ts';
import { RequestLog } from './log.ts';

const PATH = '/fetch';
// Passed on when well formed: Docker gives an ADDed file the Last-Modified time.
const TOKEN_VALUE = /^[\x20-\x7e]{1,256}$/;

export interface FetchProxy {
  /** Serves `/fetch?url=…`; anything else goes to `next`, or gets a 404. */
  handle(req: IncomingMessage, res: ServerResponse, next?: () => void): void;
  /** Aborts the fetches in flight. */
  close(): void;
}

/**
 * `GET|HEAD /fetch?url=<absolute http(s) URL>`: the proxy fetches the URL (a page can't, for
 * CORS), for `ADD <url>` in a Dockerfile. The same allowlist and address rules as the egress
 * endpoint apply to the URL and to every redirect; nothing from the browser's request is sent.
 * The body streams through, cut when it passes `fetchMaxBytes`. See proxy/README.md, "URL fetch".
 */
export function createFetchProxy(config: ProxyConfig): FetchProxy {
  const policy = new EgressPolicy(config.egressAllow);
  const inflight = new Set<AbortController>();
  return {
    handle(req, res, next) {
      if ((req.url ?? '').split('?')[0] !== PATH) {
        if (next) return next();
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      const log = new RequestLog(req, res, config.log);
      for (const [k, v] of Object.entries(corsHeaders(req, config.corsOrigin))) res.setHeader(k, v);
      if (req.method === 'OPTIONS') {
        res.writeHead(204, PREFLIGHT_HEADERS).end();
        return;
      }
      const aborter = new AbortController();
      inflight.add(aborter);
      res.once('close', () => {
        inflight.delete(aborter);
        aborter.abort();
      });
      serve(req, res, config, policy, aborter.signal, log).catch((e: unknown) => fail(res, e, log));
    },
    close() {
      for (const a of inflight) a.abort();
    },
  };
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  config: ProxyConfig,
  policy: EgressPolicy,
  signal: AbortSignal,
  log: RequestLog,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD, OPTIONS');
    throw new FetchError(405, `${req.method} is not supported: /fetch answers GET and HEAD`);
  }
  const url = requestedUrl(req.url ?? '');
  log.upstream = url.href;
  const { res: up, url: final } = await openUrl(url, req.method, { policy, timeoutMs: config.upstreamTimeoutMs, signal });
  log.upstream = final.href;
  const where = `fetch ${url.href}${final.href !== url.href ? ` (redirected to ${final.href})` : ''}`;
  const status = up.statusCode ?? 502;
  if (status < 200 || status > 299) {
    up.resume();
    throw new FetchError(502, `${where}: ${status} ${up.statusMessage ?? ''}`.trimEnd());
  }
  const max = config.fetchMaxBytes;
  const tooLarge = `${where}: larger than the proxy's fetchMaxBytes (${max} bytes)`;
  const length = up.headers['content-length'];
  const known = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
  if (known !== undefined && known > max) {
    up.destroy();
    throw new FetchError(502, tooLarge);
  }
  res.writeHead(200, {
    'Content-Type': up.headers['content-type'] ?? 'application/octet-stream',
    ...(known !== undefined ? { 'Content-Length': String(known) } : {}),
    ...pick(up, 'last-modified', 'Last-Modified'),
    ...pick(up, 'etag', 'ETag'),
    // Whatever the URL serves is data for a build, never a page of this origin.
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
  if (req.method === 'HEAD') {
    up.resume();
    res.end();
    return;
  }
  let sent = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      if (sent > max) return done(new FetchError(502, tooLarge));
      log.bytes = sent;
      done(null, chunk);
    },
  });
  // Past the headers, a failure (the cap, a cut upstream, a timeout) can only cut the connection.
  await pipeline(up, limit, res).catch((e: Error) => {
    log.error = e instanceof FetchError ? e.message : `${where}: upstream body: ${e.message}`;
    res.destroy();
  });
}

/** The `url` parameter: one absolute http(s) URL, without credentials; the fragment is dropped. */
function requestedUrl(rawUrl: string): URL {
  const q = rawUrl.indexOf('?');
  const values = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1)).getAll('url');
  if (values.length !== 1) throw new FetchError(400, 'expected /fetch?url=<percent-encoded absolute http or https URL>');
  let url: URL;
  try {
    url = new URL(values[0]!);
  } catch {
    throw new FetchError(400, `fetch ${values[0]}: not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchError(400, `fetch ${url.href}: only http and https URLs are fetched`);
  if (url.username || url.password) throw new FetchError(400, `fetch ${url.protocol}//${url.host}${url.pathname}: URLs with credentials are not fetched`);
  url.hash = '';
  return url;
}

function pick(up: IncomingMessage, name: 'last-modified' | 'etag', as: string): Record<string, string> {
  const v = up.headers[name];
  return v && TOKEN_VALUE.test(v) ? { [as]: v } : {};
}

function fail(res: ServerResponse, e: unknown, log: RequestLog): void {
  const err = e instanceof FetchError ? e : new FetchError(500, 'internal error in the proxy');
  log.error = e instanceof Error ? e.message : String(e);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  log.bytes += sendFetchError(res, err);
}
