import type { IncomingMessage, ServerResponse } from 'node:http';
import { AddressPolicy } from './address-policy.ts';
import { UpstreamAuth } from './auth.ts';
import { serveBlob } from './blobs.ts';
import { DiskCache } from './cache.ts';
import type { ProxyConfig, RegistryCredentials } from './config.ts';
import { corsHeaders, PREFLIGHT_HEADERS } from './cors.ts';
import { RegistryError, sendError, upstreamError } from './errors.ts';
import { HttpClient } from './http-client.ts';
import { RequestLog } from './log.ts';
import { pushManifest } from './manifest-push.ts';
import { serveManifest } from './manifests.ts';
import { RegistryAllowlist } from './registry-allowlist.ts';
import { upstreamOrigin } from './registry-host.ts';
import { parseRoute, ROUTE_METHODS, type Route } from './route.ts';
import { TagCache } from './tag-cache.ts';
import { serveTagList } from './tag-list.ts';
import { continueUpload, startUpload } from './uploads.ts';
import { Upstream } from './upstream.ts';

/** What the request handlers share. */
export interface Services {
  readonly config: ProxyConfig;
  readonly upstream: Upstream;
  readonly cache: DiskCache;
  readonly tags: TagCache;
  /** Registries that take pushes (`pushAllow`); each is also on `allow`, checked separately. */
  readonly pushAllow: RegistryAllowlist;
  /** Blob downloads in progress, by digest; settles (never rejects) when one ends. */
  readonly downloads: Map<string, Promise<void>>;
}

export interface RegistryProxy {
  /** Serves `/v2/…`; anything else goes to `next` (connect/Vite middleware) or gets a 404. */
  handle(req: IncomingMessage, res: ServerResponse, next?: () => void): void;
  /** Aborts upstream requests in flight and waits for their downloads to clean up. */
  close(): Promise<void>;
}

/**
 * The registry proxy: the distribution API of allowlisted registries under one origin, with
 * CORS, the upstream token dance, server-side CDN redirects and a pull-through disk cache, and
 * pushes to the registries `pushAllow` names (never cached). Browser request headers are not
 * forwarded; the proxy sends only what it decides to send (for a push: checked body headers).
 */
export function createRegistryProxy(config: ProxyConfig): RegistryProxy {
  const policy = new AddressPolicy(config.allow, config.allowPrivate);
  const http = new HttpClient(policy, config.upstreamTimeoutMs);
  const s: Services = {
    config,
    upstream: new Upstream(http, new UpstreamAuth(http, lowercaseKeys(config.credentials))),
    cache: new DiskCache(config.cacheDir, config.cacheMaxBytes),
    tags: new TagCache(config.tagTtlSeconds),
    pushAllow: new RegistryAllowlist(config.pushAllow),
    downloads: new Map(),
  };
  return {
    handle(req, res, next) {
      const path = (req.url ?? '').split('?')[0]!;
      if (path !== '/v2' && !path.startsWith('/v2/')) {
        if (next) return next();
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      const log = new RequestLog(req, res, config.log);
      for (const [k, v] of Object.entries(corsHeaders(req, config.corsOrigin))) res.setHeader(k, v);
      res.setHeader('Docker-Distribution-Api-Version', 'registry/2.0');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, PREFLIGHT_HEADERS).end();
        return;
      }
      dispatch(req, res, s, policy, log).catch((e: unknown) => fail(res, e, log));
    },
    async close() {
      http.close();
      await Promise.all(s.downloads.values());
    },
  };
}

async function dispatch(req: IncomingMessage, res: ServerResponse, s: Services, policy: AddressPolicy, log: RequestLog): Promise<void> {
  const route = parseRoute(req.url ?? '/');
  const methods = ROUTE_METHODS[route.kind];
  if (!methods.includes(req.method ?? '')) {
    throw new RegistryError(405, 'UNSUPPORTED', `${req.method} is not supported here (this endpoint answers ${methods.join(', ')})`, {
      Allow: [...methods, 'OPTIONS'].join(', '),
    });
  }
  if (route.kind === 'ping') {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': '2' }).end('{}');
    log.bytes = 2;
    return;
  }
  if (!policy.isAllowedRegistry(route.registry)) {
    throw new RegistryError(403, 'DENIED', `registry ${route.registry} is not on this proxy's allowlist`);
  }
  const push = route.kind === 'upload' || route.kind === 'upload-start' || req.method === 'PUT';
  if (push && !s.pushAllow.has(route.registry)) {
    throw new RegistryError(403, 'DENIED', `pushes to ${route.registry} are refused: it is not on this proxy's pushAllow list (PROXY_PUSH_ALLOW)`);
  }
  log.upstream = upstreamUrl(route);
  switch (route.kind) {
    case 'registry-ping':
      return pingRegistry(res, route.registry, s, log);
    case 'manifest':
      return req.method === 'PUT' ? pushManifest(req, res, route, s) : serveManifest(req, res, route, s, log);
    case 'blob':
      return serveBlob(req, res, route, s, log);
    case 'tags':
      return serveTagList(res, route, s, log);
    case 'upload-start':
      return startUpload(req, res, route, s);
    case 'upload':
      return continueUpload(req, res, route, s);
  }
}

/** `GET /v2/<registry>/`: 200 `{}` once the proxy can talk to (and authenticate with) it. */
async function pingRegistry(res: ServerResponse, registry: string, s: Services, log: RequestLog): Promise<void> {
  const up = await s.upstream.fetch(registry, undefined, '', { method: 'GET', headers: { accept: 'application/json' } });
  if (up.statusCode !== 200) throw await upstreamError(up, 'UNAVAILABLE', `${registry} ping`);
  up.resume();
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': '2' }).end('{}');
  log.bytes = 2;
}

function fail(res: ServerResponse, e: unknown, log: RequestLog): void {
  const err = e instanceof RegistryError ? e : new RegistryError(500, 'UNKNOWN', 'internal error in the registry proxy');
  log.error = e instanceof Error ? e.message : String(e);
  // Once a body has started, the only honest signal left is to cut the connection.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  log.bytes += sendError(res, err);
}

function upstreamUrl(route: Exclude<Route, { kind: 'ping' }>): string {
  const origin = upstreamOrigin(route.registry);
  switch (route.kind) {
    case 'registry-ping':
      return `${origin}/v2/`;
    case 'tags':
      return `${origin}/v2/${route.repository}/tags/list`;
    case 'manifest':
      return `${origin}/v2/${route.repository}/manifests/${route.reference}`;
    case 'blob':
      return `${origin}/v2/${route.repository}/blobs/${route.reference}`;
    case 'upload-start':
      return `${origin}/v2/${route.repository}/blobs/uploads/`;
    case 'upload':
      // Without the query: it is the upload's state, long and of no use in a log line.
      return `${origin}/v2/${route.repository}/blobs/uploads/${route.id}`;
  }
}

function lowercaseKeys(credentials: Readonly<Record<string, RegistryCredentials>>): Record<string, RegistryCredentials> {
  return Object.fromEntries(Object.entries(credentials).map(([k, v]) => [k.toLowerCase(), v]));
}
