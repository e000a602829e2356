import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { CachedBlob } from './cache.ts';
import { RegistryError, upstreamError } from './errors.ts';
import type { RequestLog } from './log.ts';
import { parseRange, singleRange } from './range.ts';
import type { Services } from './server.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const READ_CHUNK = 1024 * 1024;
const CLIENT_BUFFER = 1024 * 1024;

interface BlobRoute {
  readonly registry: string;
  readonly repository: string;
  readonly reference: string;
}

/**
 * `GET|HEAD …/blobs/<digest>`. Served from the cache when present (Range included), except a
 * HEAD for a registry that takes pushes, which asks upstream. Otherwise fetched once, following
 * CDN redirects server-side, and streamed to the client and the cache at the same time;
 * concurrent requests for the same blob wait for that one download.
 */
export async function serveBlob(req: IncomingMessage, res: ServerResponse, route: BlobRoute, s: Services, log: RequestLog): Promise<void> {
  const digest = route.reference;
  // The cache is keyed by digest alone, so it can't say whether this repository has the blob;
  // a pushing client asks exactly that before it uploads.
  if (req.method === 'HEAD' && s.pushAllow.has(route.registry)) {
    log.cache = 'bypass';
    return headUpstream(res, route, s);
  }
  const cached = await s.cache.openBlob(digest);
  if (cached) {
    log.cache = 'hit';
    return sendCached(req, res, digest, cached, log);
  }
  log.cache = 'miss';
  if (req.method === 'HEAD') return headUpstream(res, route, s);
  const range = singleRange(req.headers.range);
  if (range) {
    log.cache = 'bypass';
    return passRange(res, route, range, s, log);
  }
  const running = s.downloads.get(digest);
  if (running) {
    await running;
    const now = await s.cache.openBlob(digest);
    if (now) {
      log.cache = 'hit';
      return sendCached(req, res, digest, now, log);
    }
  }
  const download = downloadBlob(res, route, s, log);
  const settled = download.then(
    () => undefined,
    () => undefined,
  );
  s.downloads.set(digest, settled);
  try {
    await download;
  } finally {
    if (s.downloads.get(digest) === settled) s.downloads.delete(digest);
  }
}

async function sendCached(req: IncomingMessage, res: ServerResponse, digest: string, blob: CachedBlob, log: RequestLog): Promise<void> {
  const { handle, size } = blob;
  const range = parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    await handle.close();
    throw new RegistryError(416, 'RANGE_INVALID', `range not satisfiable for a blob of ${size} bytes`, {
      'Content-Range': `bytes */${size}`,
    });
  }
  const [start, end] = range ?? [0, size - 1];
  const headers = blobHeaders(digest, end - start + 1);
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || size === 0) {
    await handle.close();
    res.end();
    return;
  }
  const body = handle.createReadStream({ start, end, highWaterMark: READ_CHUNK });
  body.on('data', (chunk: Buffer | string) => {
    log.bytes += chunk.length;
  });
  // A client that goes away mid-body is not an error of the proxy's; the log marks it incomplete.
  await pipeline(body, res).catch(() => undefined);
}

async function headUpstream(res: ServerResponse, route: BlobRoute, s: Services): Promise<void> {
  const up = await s.upstream.fetch(route.registry, route.repository, `${route.repository}/blobs/${route.reference}`, {
    method: 'HEAD',
    headers: {},
    followRedirects: true,
  });
  if (up.statusCode !== 200) throw await upstreamError(up, 'BLOB_UNKNOWN', route.reference);
  up.resume();
  res.writeHead(200, blobHeaders(route.reference, contentLength(up)));
  res.end();
}

/** A Range on a blob that is not cached goes upstream as is; partial bytes can't be verified, so they are not cached. */
async function passRange(res: ServerResponse, route: BlobRoute, range: string, s: Services, log: RequestLog): Promise<void> {
  const up = await s.upstream.fetch(route.registry, route.repository, `${route.repository}/blobs/${route.reference}`, {
    method: 'GET',
    headers: { range },
    followRedirects: true,
  });
  const status = up.statusCode ?? 502;
  const contentRange = up.headers['content-range'];
  if (status === 416) {
    up.resume();
    throw new RegistryError(416, 'RANGE_INVALID', 'range not satisfiable', contentRange ? { 'Content-Range': contentRange } : {});
  }
  if (status !== 200 && status !== 206) throw await upstreamError(up, 'BLOB_UNKNOWN', route.reference);
  const headers = blobHeaders(route.reference, contentLength(up));
  if (status === 206 && contentRange) headers['Content-Range'] = contentRange;
  res.writeHead(status, headers);
  up.on('data', (chunk: Buffer) => {
    log.bytes += chunk.length;
  });
  await pipeline(up, res).catch((e: Error) => {
    log.error = `upstream body: ${e.message}`;
  });
}

/**
 * Streams the blob to the client and, through a BlobWriter, into the cache. The last chunk
 * is held back until the digest has been checked, so a client never receives a complete body
 * that is wrong: on a mismatch or an upstream failure its connection is cut instead, and
 * nothing is cached. If the client leaves early, the download still completes into the cache
 * (the client's retry, or a waiting request, is then served from disk).
 */
async function downloadBlob(res: ServerResponse, route: BlobRoute, s: Services, log: RequestLog): Promise<void> {
  const digest = route.reference;
  const up = await s.upstream.fetch(route.registry, route.repository, `${route.repository}/blobs/${digest}`, {
    method: 'GET',
    headers: {},
    followRedirects: true,
  });
  if (up.statusCode !== 200) throw await upstreamError(up, 'BLOB_UNKNOWN', digest);
  const length = contentLength(up);
  const sink = await s.cache.blobWriter(digest, length);
  res.writeHead(200, blobHeaders(digest, length));
  let held: Buffer | undefined;
  try {
    for await (const chunk of up as AsyncIterable<Buffer>) {
      if (res.destroyed && !sink.storing) {
        // Nobody is left to receive the bytes, and the cache can't keep them.
        up.destroy();
        sink.abort();
        return;
      }
      const diskWait = sink.write(chunk);
      if (held) await toClient(res, held, log);
      held = chunk;
      if (diskWait) await diskWait;
    }
  } catch (e) {
    sink.abort();
    throw new RegistryError(502, 'UNAVAILABLE', `upstream ended the blob early: ${(e as Error).message}`);
  }
  if (!(await sink.finish())) {
    throw new RegistryError(502, 'DIGEST_INVALID', `upstream sent bytes that do not match ${digest}`);
  }
  if (held) await toClient(res, held, log);
  res.end();
}

function toClient(res: ServerResponse, chunk: Buffer, log: RequestLog): Promise<void> | undefined {
  if (res.destroyed) return undefined;
  log.bytes += chunk.length;
  res.write(chunk);
  // Waiting for 'drain' at the socket's 16 KiB mark would pace every 64 KiB chunk; a bounded
  // buffer per response keeps the pipe full.
  if (res.writableLength < CLIENT_BUFFER) return undefined;
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

function blobHeaders(digest: string, length: number | undefined): Record<string, string> {
  return {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    ETag: `"${digest}"`,
    'Accept-Ranges': 'bytes',
    'Cache-Control': IMMUTABLE,
    ...(length !== undefined ? { 'Content-Length': String(length) } : {}),
  };
}

function contentLength(res: IncomingMessage): number | undefined {
  const h = res.headers['content-length'];
  return h && /^\d+$/.test(h) ? Number(h) : undefined;
}
