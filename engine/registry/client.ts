import { AbortError, DigestMismatchError, NotFoundError, RateLimitError, RegistryAuthError, RegistryError } from '../../core/errors.ts';
import { type Digest, sha256Of, verifyBytes } from '../../core/oci/digest.ts';
import { MANIFEST_ACCEPT } from '../../core/oci/media-types.ts';
import { DOCKER_HUB, familiarTagged, isLoopbackRegistry, type Reference } from '../../core/oci/reference.ts';
import { TokenCache, tokenKey, tokenRequestUrl } from '../../core/oci/registry-token.ts';
import { type AuthChallenge, parseWwwAuthenticate } from '../../core/oci/www-authenticate.ts';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface RegistryClientOptions {
  /**
   * Base URL of the registry proxy (`proxy/`), e.g. `http://127.0.0.1:5173/`. Requests for
   * registry host H go to `<proxy>v2/H/<name>/…`. Loopback registries are reached directly
   * unless `proxyLoopback` is set, because they are the local developer's own.
   */
  readonly proxy?: string;
  readonly proxyLoopback?: boolean;
  readonly credentials?: (registry: string) => RegistryCredentials | undefined;
  /** Attempts for one request on network errors, 5xx and 429 (default 4). */
  readonly attempts?: number;
  /** First backoff delay; doubles on each retry (default 250 ms). */
  readonly backoffMs?: number;
  /** A Retry-After longer than this is not waited for: the caller gets a RateLimitError at once. */
  readonly maxRetryAfterSeconds?: number;
  readonly fetch?: typeof fetch;
}

export interface FetchedManifest {
  readonly bytes: Uint8Array;
  readonly digest: Digest;
  readonly mediaType: string;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

interface ErrorBody {
  errors?: { code?: string; message?: string; detail?: unknown }[];
}

/** The OCI distribution API, seen from a browser: token/basic auth, retries, Range and cancel. */
export class RegistryClient {
  private readonly tokens = new TokenCache();
  /** Challenges seen per registry+repository, so later requests authenticate up front. */
  private readonly challenges = new Map<string, AuthChallenge>();
  private readonly doFetch: typeof fetch;

  constructor(private readonly opts: RegistryClientOptions = {}) {
    this.doFetch = opts.fetch ?? ((...a) => fetch(...a));
  }

  /** Base URL for `/v2/…` of a registry, direct or through the proxy. */
  baseUrl(registry: string): string {
    const direct = !this.opts.proxy || (isLoopbackRegistry(registry) && !this.opts.proxyLoopback);
    if (!direct) return `${this.opts.proxy!.replace(/\/?$/, '/')}v2/${registry}/`;
    const host = registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
    return `${isLoopbackRegistry(registry) ? 'http' : 'https'}://${host}/v2/`;
  }

  /** GET a manifest by tag or digest; the body is verified against the digest it was asked by. */
  async getManifest(ref: Reference, signal?: AbortSignal): Promise<FetchedManifest> {
    const target = ref.digest ?? ref.tag ?? 'latest';
    const url = `${this.baseUrl(ref.registry)}${ref.repository}/manifests/${target}`;
    const res = await this.request(ref, url, { headers: { Accept: MANIFEST_ACCEPT }, signal }, 'manifest');
    const len = Number(res.headers.get('Content-Length') ?? '0');
    if (len > MAX_MANIFEST_BYTES) {
      await res.body?.cancel();
      throw new RegistryError(`manifest for ${familiarTagged(ref)} is too large (${len} bytes)`, 400, 'MANIFEST_INVALID');
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.byteLength > MAX_MANIFEST_BYTES) {
      throw new RegistryError(`manifest for ${familiarTagged(ref)} is too large`, 400, 'MANIFEST_INVALID');
    }
    let digest: Digest;
    if (ref.digest) {
      await verifyBytes(bytes, ref.digest, `manifest ${ref.digest}`);
      digest = ref.digest;
    } else {
      digest = await sha256Of(bytes);
      const claimed = res.headers.get('Docker-Content-Digest');
      if (claimed && claimed.startsWith('sha256:') && claimed !== digest) {
        throw new DigestMismatchError(claimed, digest, `manifest ${familiarTagged(ref)}`);
      }
    }
    const mediaType = (res.headers.get('Content-Type') ?? '').split(';')[0]!.trim();
    return { bytes, digest, mediaType };
  }

  /** GET a small blob (config, child manifest) whole, verified. */
  async getBlobBytes(ref: Reference, digest: Digest, signal?: AbortSignal): Promise<Uint8Array> {
    const res = await this.openBlob(ref, digest, 0, signal);
    const bytes = new Uint8Array(await res.body.arrayBuffer());
    await verifyBytes(bytes, digest, `blob ${digest}`);
    return bytes;
  }

  /**
   * Opens a blob from `offset`. Uses `Range` when resuming; a registry that ignores Range and
   * answers 200 is handled by reporting `start: 0` so the caller can skip what it already has.
   */
  async openBlob(ref: Reference, digest: Digest, offset: number, signal?: AbortSignal): Promise<{ body: Response; start: number }> {
    const url = `${this.baseUrl(ref.registry)}${ref.repository}/blobs/${digest}`;
    const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
    const res = await this.request(ref, url, { headers, signal }, 'blob');
    const start = res.status === 206 ? parseContentRangeStart(res.headers.get('Content-Range')) : 0;
    return { body: res, start };
  }

  /** HEAD a blob: whether the repository has it (a push skips it then). */
  async hasBlob(ref: Reference, digest: Digest, signal?: AbortSignal): Promise<boolean> {
    const url = `${this.baseUrl(ref.registry)}${ref.repository}/blobs/${digest}`;
    const res = await this.request(ref, url, { headers: {}, signal, method: 'HEAD', expect: [404] }, 'blob');
    return res.status !== 404;
  }

  /** A cross-repository mount of a blob the registry has under `from`; false when it declined (then upload). */
  async mountBlob(ref: Reference, digest: Digest, from: string, signal?: AbortSignal): Promise<boolean> {
    const url = `${this.baseUrl(ref.registry)}${ref.repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const res = await this.request(ref, url, { headers: {}, signal, method: 'POST', expect: [202] }, 'blob');
    await res.body?.cancel();
    return res.status === 201;
  }

  /**
   * Uploads a blob as the distribution spec's chunked upload: POST for a session, PATCH each
   * chunk with its Content-Range, PUT with the digest, which the registry checks.
   */
  async uploadBlob(
    ref: Reference,
    digest: Digest,
    bytes: Uint8Array,
    opts: { chunkSize?: number; signal?: AbortSignal; onChunk?: (sent: number) => void } = {},
  ): Promise<void> {
    const base = this.baseUrl(ref.registry);
    const chunk = opts.chunkSize ?? 5 * 1024 * 1024;
    const start = await this.request(
      ref,
      `${base}${ref.repository}/blobs/uploads/`,
      { headers: {}, signal: opts.signal, method: 'POST', expect: [202] },
      'blob',
    );
    await start.body?.cancel();
    let location = uploadLocation(start, `${base}${ref.repository}/blobs/uploads/`);
    for (let at = 0; at < bytes.byteLength; at += chunk) {
      const piece = bytes.subarray(at, Math.min(bytes.byteLength, at + chunk));
      const res = await this.request(
        ref,
        location,
        {
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${at}-${at + piece.byteLength - 1}` },
          signal: opts.signal,
          method: 'PATCH',
          body: piece,
          expect: [202],
        },
        'blob',
      );
      await res.body?.cancel();
      location = uploadLocation(res, location);
      opts.onChunk?.(at + piece.byteLength);
    }
    const done = await this.request(
      ref,
      `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`,
      { headers: { 'Content-Type': 'application/octet-stream' }, signal: opts.signal, method: 'PUT', body: new Uint8Array(0) },
      'blob',
    );
    await done.body?.cancel();
  }

  /** PUT a manifest under a tag; returns the digest the registry gives it. */
  async putManifest(ref: Reference, bytes: Uint8Array, mediaType: string, signal?: AbortSignal): Promise<Digest> {
    const url = `${this.baseUrl(ref.registry)}${ref.repository}/manifests/${ref.tag ?? 'latest'}`;
    const res = await this.request(ref, url, { headers: { 'Content-Type': mediaType }, signal, method: 'PUT', body: bytes }, 'manifest');
    await res.body?.cancel();
    const digest = await sha256Of(bytes);
    const claimed = res.headers.get('Docker-Content-Digest');
    if (claimed && claimed !== digest) throw new DigestMismatchError(claimed, digest, `pushed manifest ${familiarTagged(ref)}`);
    return digest;
  }

  async ping(registry: string, signal?: AbortSignal): Promise<number> {
    const res = await this.withRetries(() => this.doFetch(this.baseUrl(registry), { signal }), signal);
    await res.body?.cancel();
    return res.status;
  }

  private async request(
    ref: Reference,
    url: string,
    init: {
      headers: Record<string, string>;
      signal?: AbortSignal | undefined;
      method?: string;
      body?: Uint8Array;
      /** Statuses returned to the caller rather than thrown (a HEAD's 404, an upload's 202). */
      expect?: readonly number[];
    },
    what: 'manifest' | 'blob',
  ): Promise<Response> {
    const authKey = `${ref.registry}/${ref.repository}`;
    let authorized = false;
    for (let round = 0; round < 2; round++) {
      const challenge = this.challenges.get(authKey);
      const auth = challenge ? await this.authorization(ref.registry, challenge, init.signal) : undefined;
      const headers = { ...init.headers, ...(auth ? { Authorization: auth } : {}) };
      const res = await this.withRetries(
        () =>
          this.doFetch(url, {
            headers,
            signal: init.signal,
            credentials: 'omit',
            ...(init.method ? { method: init.method } : {}),
            ...(init.body ? { body: init.body as BodyInit } : {}),
          }),
        init.signal,
      );
      if (res.ok || init.expect?.includes(res.status)) return res;
      if (res.status === 401 && !authorized) {
        const header = res.headers.get('WWW-Authenticate');
        const parsed = header ? parseWwwAuthenticate(header) : [];
        const next = parsed.find((c) => c.scheme === 'bearer') ?? parsed.find((c) => c.scheme === 'basic');
        await res.body?.cancel();
        if (next) {
          if (challenge?.scheme === 'bearer') this.tokens.delete(tokenKey(challenge));
          this.challenges.set(authKey, next);
          authorized = true;
          continue;
        }
        throw await toRegistryError(res, ref, what);
      }
      throw await toRegistryError(res, ref, what);
    }
    throw new RegistryAuthError(`pull access denied for ${familiarTagged(ref)}, repository does not exist or may require authorization`, 401, 'UNAUTHORIZED');
  }

  private async authorization(registry: string, c: AuthChallenge, signal?: AbortSignal): Promise<string | undefined> {
    const creds = this.opts.credentials?.(registry);
    if (c.scheme === 'basic') {
      return creds ? `Basic ${btoa(`${creds.username}:${creds.password}`)}` : undefined;
    }
    if (c.scheme !== 'bearer' || !c.params.realm) return undefined;
    const key = tokenKey(c);
    const cached = this.tokens.get(key);
    if (cached) return `Bearer ${cached}`;
    const u = tokenRequestUrl(new URL(c.params.realm), c);
    const headers: Record<string, string> = creds ? { Authorization: `Basic ${btoa(`${creds.username}:${creds.password}`)}` } : {};
    const res = await this.withRetries(() => this.doFetch(u.toString(), { headers, signal, credentials: 'omit' }), signal);
    if (!res.ok) {
      await res.body?.cancel();
      throw new RegistryAuthError(`token request to ${u.origin} failed with HTTP ${res.status}`, res.status, 'UNAUTHORIZED');
    }
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryAuthError(`token response from ${u.origin} has no token`, 401, 'UNAUTHORIZED');
    this.tokens.set(key, token, body.expires_in);
    return `Bearer ${token}`;
  }

  /** Retries network errors, 5xx and 429 with exponential backoff; honours Retry-After. */
  private async withRetries(send: () => Promise<Response>, signal?: AbortSignal): Promise<Response> {
    const attempts = this.opts.attempts ?? 4;
    const base = this.opts.backoffMs ?? 250;
    const maxRetryAfter = this.opts.maxRetryAfterSeconds ?? 10;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await send();
      } catch (e) {
        if (signal?.aborted) throw new AbortError(undefined, { cause: e });
        if (attempt >= attempts) throw new RegistryError(`registry unreachable: ${(e as Error).message}`, 502, undefined, { cause: e });
        await sleep(base * 2 ** (attempt - 1), signal);
        continue;
      }
      const retriable = res.status === 429 || res.status >= 500;
      if (!retriable || attempt >= attempts) return res;
      const retryAfter = parseRetryAfter(res.headers.get('Retry-After'));
      if (res.status === 429 && retryAfter !== undefined && retryAfter > maxRetryAfter) return res;
      await res.body?.cancel();
      await sleep(retryAfter !== undefined ? retryAfter * 1000 : base * 2 ** (attempt - 1), signal);
    }
  }
}

/**
 * An upload's next URL: its Location, resolved against the URL of the request it answered, as
 * HTTP says (a registry's `/v2/<name>/blobs/uploads/<id>`, the proxy's `/v2/<registry>/<name>/…`).
 */
function uploadLocation(res: Response, requested: string): string {
  const loc = res.headers.get('Location');
  if (!loc) throw new RegistryError('registry answered an upload without a Location', 502, 'BLOB_UPLOAD_INVALID');
  return new URL(loc, requested).href;
}

function parseContentRangeStart(h: string | null): number {
  const m = h ? /^bytes (\d+)-/.exec(h) : null;
  return m ? Number(m[1]) : 0;
}

export function parseRetryAfter(h: string | null): number | undefined {
  if (!h) return undefined;
  if (/^\d+$/.test(h.trim())) return Number(h.trim());
  const t = Date.parse(h);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.ceil((t - Date.now()) / 1000));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function toRegistryError(res: Response, ref: Reference, what: 'manifest' | 'blob'): Promise<Error> {
  let body: ErrorBody = {};
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    /* not a registry JSON error body */
  }
  const first = body.errors?.[0];
  const code = first?.code;
  const detail = first?.message ? `: ${first.message.toLowerCase()}` : '';
  const name = familiarTagged(ref);
  switch (res.status) {
    case 401:
    case 403:
      return new RegistryAuthError(`pull access denied for ${name}, repository does not exist or may require authorization${detail}`, res.status, code);
    case 404:
      return what === 'manifest'
        ? new NotFoundError(`manifest for ${name} not found: manifest unknown${detail}`)
        : new NotFoundError(`blob unknown to registry for ${name}${detail}`);
    case 429:
      return new RateLimitError(`toomanyrequests: the registry rate-limited pulls of ${name}${detail}`, parseRetryAfter(res.headers.get('Retry-After')));
    default:
      return new RegistryError(`error from registry for ${name}: HTTP ${res.status}${detail}`, res.status, code);
  }
}
