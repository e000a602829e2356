import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { pipeline, type Readable } from 'node:stream';
import { AddressDeniedError, type AddressPolicy } from './address-policy.ts';
import { RegistryError } from './errors.ts';

export interface UpstreamRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Lower-case names. Only what the proxy itself decided to send (or checked and passed on from a push). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * A push's body: bytes in hand (a manifest; can be sent again after a 401), or the browser's
   * request streamed through (an upload chunk; sent once, never held in memory).
   */
  readonly body?: Buffer | Readable;
  /** Blob downloads follow redirects to CDNs server-side; everything else gets the 3xx as an error. */
  readonly followRedirects?: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const USER_AGENT = 'browser-container-engine-registry-proxy';

class UpstreamTimeoutError extends Error {}

/**
 * One upstream HTTP exchange over keep-alive connections, with the address policy applied to
 * every connection (including redirect targets) and a connect/idle timeout.
 */
export class HttpClient {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 32 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 32 }),
  };
  private readonly inflight = new Set<ClientRequest>();

  constructor(
    private readonly policy: AddressPolicy,
    private readonly timeoutMs: number,
  ) {}

  /** Resolves with the response head; the body streams. Connect failures become RegistryErrors. */
  async request(url: URL, req: UpstreamRequest): Promise<IncomingMessage> {
    let current = url;
    let headers: Record<string, string> = { ...req.headers, 'user-agent': USER_AGENT };
    for (let hop = 0; ; hop++) {
      const res = await this.send(current, req.method, headers, req.body);
      const location = res.headers.location;
      if (!req.followRedirects || !REDIRECTS.has(res.statusCode ?? 0) || !location) return res;
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new RegistryError(502, 'UNAVAILABLE', `too many redirects from ${url.host}`);
      const next = new URL(location, current);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new RegistryError(502, 'UNAVAILABLE', `${current.host} redirected to a ${next.protocol} URL`);
      }
      if (current.protocol === 'https:' && next.protocol === 'http:') {
        throw new RegistryError(502, 'UNAVAILABLE', `${current.host} redirected from https to plain http`);
      }
      // A CDN gets a signed URL and must not see the registry token.
      if (next.origin !== current.origin) {
        const { authorization: _dropped, ...rest } = headers;
        headers = rest;
      }
      current = next;
    }
  }

  /** Aborts what is in flight and drops idle connections. */
  close(): void {
    for (const r of this.inflight) r.destroy();
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  private send(url: URL, method: string, headers: Record<string, string>, body: Buffer | Readable | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      // IP literals skip DNS, so the lookup hook below never sees them: check them here.
      const literal = url.hostname.replace(/^\[|\]$/g, '');
      if (isIP(literal) && !this.policy.isAddressAllowed(literal)) {
        reject(toRegistryError(new AddressDeniedError(`${literal} is not a public address`), url));
        return;
      }
      const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
      const req = (protocol === 'https:' ? https : http).request(url, {
        method,
        headers,
        agent: this.agents[protocol],
        lookup: this.policy.lookup,
        timeout: this.timeoutMs,
      });
      this.inflight.add(req);
      req.on('close', () => this.inflight.delete(req));
      req.on('timeout', () => req.destroy(new UpstreamTimeoutError(`no answer within ${this.timeoutMs} ms`)));
      req.on('response', resolve);
      req.on('error', (e) => reject(toRegistryError(e, url)));
      if (body === undefined || Buffer.isBuffer(body)) req.end(body);
      // A browser that goes away mid-upload ends the upstream request with it.
      else pipeline(body, req, (e) => e && req.destroy(e));
    });
  }
}

function toRegistryError(e: Error, url: URL): RegistryError {
  if (e instanceof AddressDeniedError) {
    return new RegistryError(403, 'DENIED', `refusing to connect to ${url.host}: ${e.message}`);
  }
  if (e instanceof UpstreamTimeoutError) {
    return new RegistryError(504, 'UNAVAILABLE', `upstream ${url.host} timed out: ${e.message}`);
  }
  const code = (e as NodeJS.ErrnoException).code;
  return new RegistryError(502, 'UNAVAILABLE', `upstream ${url.host} unreachable: ${code ?? e.message}`);
}
