import { lookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { EgressPolicy } from './egress-policy.ts';
import { type EgressTarget, formatHostPort, isDnsName } from './egress-target.ts';
import { FetchError } from './errors.ts';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const USER_AGENT = 'browser-container-engine-registry-proxy';

export interface FetchOptions {
  readonly policy: EgressPolicy;
  readonly timeoutMs: number;
  /** Aborted when the browser goes away. */
  readonly signal: AbortSignal;
}

class FetchTimeoutError extends Error {}

/**
 * `GET|HEAD url`, following up to 5 redirects. Every hop is checked as the egress endpoint checks
 * a tunnel: http(s) only, the host:port on `egressAllow`, then the name resolved and each address
 * checked; the connection goes to a checked address (no second lookup, so no DNS rebinding).
 * Resolves with the first answer that is not a redirect, and the URL that gave it.
 */
export async function openUrl(url: URL, method: 'GET' | 'HEAD', o: FetchOptions): Promise<{ res: IncomingMessage; url: URL }> {
  const what = `fetch ${url.href}`;
  let current = url;
  for (let hop = 0; ; hop++) {
    const addresses = await checkedAddresses(current, o.policy, hop === 0 ? what : `${what}: redirected to ${current.href}`);
    const res = await request(current, method, addresses, o, what);
    if (!REDIRECTS.has(res.statusCode ?? 0)) return { res, url: current };
    res.resume();
    const location = res.headers.location;
    if (!location) throw new FetchError(502, `${what}: ${res.statusCode} redirect without a Location`);
    if (hop >= MAX_REDIRECTS) throw new FetchError(502, `${what}: more than ${MAX_REDIRECTS} redirects`);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new FetchError(502, `${what}: redirected to an invalid URL`);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new FetchError(502, `${what}: redirected to a ${next.protocol} URL`);
    // Credentials are not sent, not even ones a redirect names.
    next.username = '';
    next.password = '';
    next.hash = '';
    current = next;
  }
}

/** The addresses of the URL's host that may be dialled; a refusal names the host and why. */
async function checkedAddresses(url: URL, policy: EgressPolicy, what: string): Promise<{ address: string; family: number }[]> {
  const target = targetOf(url);
  if (!target) throw new FetchError(400, `${what}: ${url.hostname} is not a valid host name`);
  const where = formatHostPort(target.host, target.port);
  if (!policy.allowsTarget(target)) {
    throw new FetchError(403, `${what}: ${where} is not on the proxy's egressAllow list (PROXY_EGRESS_ALLOW)`);
  }
  let found: { address: string; family: number }[];
  try {
    found = target.family ? [{ address: target.host, family: target.family }] : await lookup(target.host, { all: true });
  } catch (e) {
    throw new FetchError(502, `${what}: ${(e as NodeJS.ErrnoException).code ?? 'ENOTFOUND'} ${target.host}`);
  }
  const usable = found.filter((a) => policy.allowsAddress(a.address, target.port));
  if (usable.length === 0) {
    throw new FetchError(403, `${what}: ${where} resolves to non-public ${found.map((a) => a.address).join(', ')}, which egressAllow does not name`);
  }
  return usable;
}

/** The host and port as the egress policy sees them; undefined for a host that is neither a DNS name nor an IP. */
function targetOf(url: URL): EgressTarget | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const family = isIP(host);
  if (family === 4 || family === 6) return { host, port, family };
  return isDnsName(host) ? { host, port, family: 0 } : undefined;
}

/** One exchange with `url`, connected to one of `addresses` only. Resolves with the response head. */
function request(url: URL, method: string, addresses: { address: string; family: number }[], o: FetchOptions, what: string): Promise<IncomingMessage> {
  // The checked addresses stand in for DNS: whatever the name resolves to now is not asked.
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method,
      headers: { 'user-agent': USER_AGENT, accept: '*/*' },
      lookup: pinned,
      agent: false,
      timeout: o.timeoutMs,
      signal: o.signal,
    });
    req.on('timeout', () => req.destroy(new FetchTimeoutError()));
    req.on('response', resolve);
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e instanceof FetchTimeoutError) reject(new FetchError(504, `${what}: no answer from ${url.host} within ${o.timeoutMs} ms`));
      else reject(new FetchError(502, `${what}: ${url.host} unreachable: ${e.code ?? e.message}`));
    });
    req.end();
  });
}
