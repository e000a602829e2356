import { BuildStepError } from './build-errors.ts';

/** A file `ADD <url>` fetched: its bytes, the name the URL gives it, and its Last-Modified time. */
export interface RemoteFile {
  readonly data: Uint8Array;
  /** The URL path's last segment (`ADD <url> /dir/` writes `/dir/<name>`). */
  readonly name: string;
  /** Unix seconds, from `Last-Modified`: Docker gives the file that mtime. */
  readonly mtime?: number;
}

export interface RemoteFetchOptions {
  /** The registry proxy's base URL: a page cannot fetch most URLs itself (CORS), so the proxy does. */
  readonly proxy?: string;
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
}

/**
 * Fetches an `ADD <url>` source: through the proxy's `/fetch` endpoint when there is one,
 * otherwise directly (where CORS allows it). Errors read as BuildKit's.
 */
export async function fetchRemoteFile(url: string, o: RemoteFetchOptions): Promise<RemoteFile> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BuildStepError(`invalid URL in ADD: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new BuildStepError(`unsupported URL scheme in ADD: ${url}`);
  const target = o.proxy ? `${o.proxy.replace(/\/?$/, '/')}fetch?url=${encodeURIComponent(url)}` : url;
  let res: Response;
  try {
    res = await fetch(target, { ...(o.signal ? { signal: o.signal } : {}), credentials: 'omit' });
  } catch (e) {
    o.signal?.throwIfAborted();
    throw new BuildStepError(`failed to load cache key: ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new BuildStepError(`failed to load cache key: ${(await proxyReason(res)) ?? `invalid response status ${res.status}`}`);
  const data = await readLimited(res, o.maxBytes, url);
  const lastModified = Date.parse(res.headers.get('last-modified') ?? '');
  const name = decodeURIComponent(parsed.pathname.split('/').filter(Boolean).at(-1) ?? '') || '__unnamed__';
  return { data, name, ...(Number.isFinite(lastModified) ? { mtime: Math.floor(lastModified / 1000) } : {}) };
}

/** The proxy says why it refused or failed (`{"error": "fetch …: 404 Not Found"}`); an upstream's own error page says nothing useful. */
async function proxyReason(res: Response): Promise<string | undefined> {
  if (!res.headers.get('content-type')?.includes('application/json')) return undefined;
  const body = (await res.json().catch(() => undefined)) as { error?: unknown } | undefined;
  return typeof body?.error === 'string' ? body.error : undefined;
}

async function readLimited(res: Response, max: number, url: string): Promise<Uint8Array> {
  const tooBig = () => new BuildStepError(`failed to load cache key: ${url}: larger than the ${max}-byte limit of ADD`);
  if (Number(res.headers.get('content-length') ?? 0) > max) throw tooBig();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooBig();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
