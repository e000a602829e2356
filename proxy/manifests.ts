import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDigest } from '../core/oci/digest.ts';
import { MANIFEST_ACCEPT } from '../core/oci/media-types.ts';
import type { CachedManifest } from './cache.ts';
import { RegistryError, upstreamError } from './errors.ts';
import type { RequestLog } from './log.ts';
import { BodyTooLargeError, readBody } from './read-body.ts';
import type { Services } from './server.ts';

interface ManifestRoute {
  readonly registry: string;
  readonly repository: string;
  readonly reference: string;
}

/**
 * `GET|HEAD …/manifests/<tag|digest>`. Manifests are fetched by the proxy with all four
 * manifest media types in `Accept` (distribution answers 404, or rewrites to schema 1, for types
 * it wasn't asked for), verified, and cached by digest. A tag is resolved to a digest and the
 * answer reused for the tag TTL; after that a HEAD finds out whether the tag still points to a
 * cached manifest before anything is downloaded again. A HEAD by digest for a registry that takes
 * pushes is asked upstream.
 */
export async function serveManifest(req: IncomingMessage, res: ServerResponse, route: ManifestRoute, s: Services, log: RequestLog): Promise<void> {
  const byDigest = isDigest(route.reference);
  // As for blobs: the cache can't say whether this repository has the manifest, which a client
  // pushing an index asks for each child before it puts it.
  if (req.method === 'HEAD' && byDigest && s.pushAllow.has(route.registry)) {
    log.cache = 'bypass';
    return headUpstream(res, route, s);
  }
  const m = byDigest ? await resolveDigest(route, s, log) : await resolveTag(route, s, log);
  res.writeHead(200, {
    'Content-Type': m.mediaType,
    'Content-Length': String(m.bytes.length),
    'Docker-Content-Digest': m.digest,
    ETag: `"${m.digest}"`,
    // What a digest names never changes; what a tag names may change at any time.
    'Cache-Control': byDigest ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  log.bytes = m.bytes.length;
  res.end(m.bytes);
}

async function headUpstream(res: ServerResponse, route: ManifestRoute, s: Services): Promise<void> {
  const up = await s.upstream.fetch(route.registry, route.repository, `${route.repository}/manifests/${route.reference}`, {
    method: 'HEAD',
    headers: { accept: MANIFEST_ACCEPT },
  });
  if (up.statusCode !== 200) throw await upstreamError(up, 'MANIFEST_UNKNOWN', `${route.repository}@${route.reference}`);
  up.resume();
  const length = up.headers['content-length'];
  res.writeHead(200, {
    'Content-Type': up.headers['content-type'] ?? 'application/octet-stream',
    ...(length && /^\d+$/.test(length) ? { 'Content-Length': length } : {}),
    'Docker-Content-Digest': route.reference,
    ETag: `"${route.reference}"`,
  });
  res.end();
}

async function resolveDigest(route: ManifestRoute, s: Services, log: RequestLog): Promise<CachedManifest> {
  const cached = await s.cache.getManifest(route.reference);
  log.cache = cached ? 'hit' : 'miss';
  return cached ?? fetchManifest(route, route.reference, s);
}

async function resolveTag(route: ManifestRoute, s: Services, log: RequestLog): Promise<CachedManifest> {
  const key = `${route.registry}/${route.repository}:${route.reference}`;
  const known = s.tags.fresh(key);
  if (known) {
    const m = await s.cache.getManifest(known);
    if (m) {
      log.cache = 'hit';
      return m;
    }
  }
  const head = await s.upstream.fetch(route.registry, route.repository, `${route.repository}/manifests/${route.reference}`, {
    method: 'HEAD',
    headers: { accept: MANIFEST_ACCEPT },
  });
  // Asking again with a GET would only spend more of the rate limit.
  if (head.statusCode === 429) throw await upstreamError(head, 'TOOMANYREQUESTS', key);
  head.resume();
  const claimed = head.headers['docker-content-digest'];
  if (head.statusCode === 200 && typeof claimed === 'string' && isDigest(claimed)) {
    const m = await s.cache.getManifest(claimed);
    if (m) {
      s.tags.set(key, m.digest);
      log.cache = 'revalidated';
      return m;
    }
  }
  log.cache = 'miss';
  const m = await fetchManifest(route, undefined, s);
  s.tags.set(key, m.digest);
  return m;
}

/** GET from upstream, by `expected` digest or else by the route's tag; verified, then cached. */
async function fetchManifest(route: ManifestRoute, expected: string | undefined, s: Services): Promise<CachedManifest> {
  const max = s.config.manifestMaxBytes;
  const ref = expected ?? route.reference;
  const up = await s.upstream.fetch(route.registry, route.repository, `${route.repository}/manifests/${ref}`, {
    method: 'GET',
    headers: { accept: MANIFEST_ACCEPT },
  });
  if (up.statusCode !== 200) throw await upstreamError(up, 'MANIFEST_UNKNOWN', `${route.repository}:${ref}`);
  const tooLarge = () => new RegistryError(400, 'MANIFEST_INVALID', `manifest is larger than this proxy's limit of ${max} bytes`);
  if (Number(up.headers['content-length']) > max) {
    up.destroy();
    throw tooLarge();
  }
  let bytes: Buffer;
  try {
    bytes = await readBody(up, max);
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw tooLarge();
    throw new RegistryError(502, 'UNAVAILABLE', `upstream ended the manifest early: ${(e as Error).message}`);
  }
  const alg = expected ? expected.slice(0, expected.indexOf(':')) : 'sha256';
  const digest = `${alg}:${createHash(alg).update(bytes).digest('hex')}`;
  if (expected && digest !== expected) {
    throw new RegistryError(502, 'DIGEST_INVALID', `upstream sent a manifest that does not match ${expected}`);
  }
  const claimed = up.headers['docker-content-digest'];
  if (!expected && typeof claimed === 'string' && claimed.startsWith('sha256:') && claimed !== digest) {
    throw new RegistryError(502, 'DIGEST_INVALID', `upstream sent a manifest that does not match its digest ${claimed}`);
  }
  const m = { digest, mediaType: mediaTypeOf(up, bytes), bytes };
  await s.cache.putManifest(m);
  return m;
}

/** The `Content-Type` upstream stored; if it only says "JSON", the manifest's own `mediaType`. */
function mediaTypeOf(up: IncomingMessage, bytes: Buffer): string {
  const header = (up.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (header && header !== 'application/json' && header !== 'text/plain') return header;
  try {
    const field = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
    if (typeof field === 'string' && field) return field;
  } catch {
    // Not JSON: keep whatever the header said.
  }
  return header || 'application/octet-stream';
}
