import { readFileSync } from 'node:fs';

/** A service account for one upstream registry. Used for the token dance, never shown to browsers. */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface ProxyConfig {
  /** Listen address of the standalone server (`proxy/main.ts`). */
  host: string;
  port: number;
  /**
   * Registries the proxy may reach, as written in the URL: `docker.io`, `host:5000`, `host:*`
   * (any port), or an address range such as `127.0.0.0/8` (any IP-literal host inside it).
   */
  allow: string[];
  /**
   * Registries that may also be pushed to, in `allow`'s syntax. A registry must be on both lists.
   * Empty by default: the proxy only pulls.
   */
  pushAllow: string[];
  /**
   * Non-public networks that upstreams (and their token servers and blob CDNs) may resolve to:
   * CIDRs, single addresses, `loopback`, or `all`. Empty by default, so the proxy can't be used
   * to reach the machine it runs on or its LAN.
   */
  allowPrivate: string[];
  /**
   * TCP targets the egress endpoint (`/egress/<host>:<port>`) may reach: `example.org` (ports 80
   * and 443), `example.org:8080`, `example.org:*`, `*.example.org`, or IP literals and CIDRs with
   * an optional port (`127.0.0.1:8080`, `10.0.0.0/8:*`, `[::1]:8080`). Empty by default: nothing.
   * Non-public addresses are dialled only when an IP/CIDR entry names them; `allowPrivate` does
   * not apply here.
   */
  egressAllow: string[];
  /** Largest body the URL fetch endpoint (`/fetch?url=`, for `ADD <url>`) passes on. */
  fetchMaxBytes: number;
  cacheDir: string;
  /** Size cap of the on-disk cache; least recently used entries go first. 0 disables the cache. */
  cacheMaxBytes: number;
  /** How long a tag → digest answer is reused before the upstream is asked again. */
  tagTtlSeconds: number;
  manifestMaxBytes: number;
  /** Connect and idle timeout for upstream requests. */
  upstreamTimeoutMs: number;
  /** `*`, or a comma-separated list of origins allowed to read responses. */
  corsOrigin: string;
  /** Keyed by registry host as written in the URL (`docker.io`, `ghcr.io`). */
  credentials: Record<string, RegistryCredentials>;
  /** Receives one line per request; null for silence. */
  log: ((line: string) => void) | null;
}

export const DEFAULT_ALLOW = ['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io'];

const DEFAULTS: Omit<ProxyConfig, 'log'> = {
  host: '127.0.0.1',
  port: 5080,
  allow: DEFAULT_ALLOW,
  pushAllow: [],
  allowPrivate: [],
  egressAllow: [],
  fetchMaxBytes: 512 * 1024 * 1024,
  cacheDir: '.cache/proxy',
  cacheMaxBytes: 10 * 1024 ** 3,
  tagTtlSeconds: 60,
  manifestMaxBytes: 4 * 1024 * 1024,
  upstreamTimeoutMs: 30_000,
  corsOrigin: '*',
  credentials: {},
};

type Env = Record<string, string | undefined>;

/**
 * Defaults, overridden by the JSON file (`file`, else `$PROXY_CONFIG`), overridden by `PROXY_*`
 * environment variables. The file is where credentials live; a credential may name an environment
 * variable (`passwordEnv`) instead of holding the secret itself.
 */
export function loadProxyConfig(env: Env = process.env, file: string | undefined = env.PROXY_CONFIG): ProxyConfig {
  const fromFile = file ? parseFile(file, env) : {};
  const fromEnv: Partial<ProxyConfig> = {};
  if (env.PROXY_HOST) fromEnv.host = env.PROXY_HOST;
  if (env.PROXY_PORT) fromEnv.port = int('PROXY_PORT', env.PROXY_PORT, 65535);
  if (env.PROXY_ALLOW !== undefined) fromEnv.allow = list(env.PROXY_ALLOW);
  if (env.PROXY_PUSH_ALLOW !== undefined) fromEnv.pushAllow = list(env.PROXY_PUSH_ALLOW);
  if (env.PROXY_ALLOW_PRIVATE !== undefined) fromEnv.allowPrivate = privateList(env.PROXY_ALLOW_PRIVATE);
  if (env.PROXY_EGRESS_ALLOW !== undefined) fromEnv.egressAllow = list(env.PROXY_EGRESS_ALLOW);
  if (env.PROXY_FETCH_MAX_BYTES) fromEnv.fetchMaxBytes = bytes('PROXY_FETCH_MAX_BYTES', env.PROXY_FETCH_MAX_BYTES);
  if (env.PROXY_CACHE_DIR) fromEnv.cacheDir = env.PROXY_CACHE_DIR;
  if (env.PROXY_CACHE_MAX_BYTES) fromEnv.cacheMaxBytes = bytes('PROXY_CACHE_MAX_BYTES', env.PROXY_CACHE_MAX_BYTES);
  if (env.PROXY_TAG_TTL_SECONDS) fromEnv.tagTtlSeconds = int('PROXY_TAG_TTL_SECONDS', env.PROXY_TAG_TTL_SECONDS);
  if (env.PROXY_MANIFEST_MAX_BYTES) fromEnv.manifestMaxBytes = bytes('PROXY_MANIFEST_MAX_BYTES', env.PROXY_MANIFEST_MAX_BYTES);
  if (env.PROXY_UPSTREAM_TIMEOUT_MS) fromEnv.upstreamTimeoutMs = int('PROXY_UPSTREAM_TIMEOUT_MS', env.PROXY_UPSTREAM_TIMEOUT_MS);
  if (env.PROXY_CORS_ORIGIN) fromEnv.corsOrigin = env.PROXY_CORS_ORIGIN;
  const quiet = env.PROXY_LOG === 'off' || env.PROXY_LOG === '0';
  return {
    ...DEFAULTS,
    ...fromFile,
    ...fromEnv,
    log: quiet ? null : (line) => process.stdout.write(`${line}\n`),
  };
}

function parseFile(path: string, env: Env): Partial<ProxyConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`proxy config ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!isObject(raw)) throw new Error(`proxy config ${path}: expected a JSON object`);
  const out: Partial<ProxyConfig> = {};
  const where = (k: string) => `proxy config ${path}: "${k}"`;
  for (const [k, v] of Object.entries(raw)) {
    switch (k) {
      case 'host':
      case 'cacheDir':
      case 'corsOrigin':
        if (typeof v !== 'string') throw new Error(`${where(k)} must be a string`);
        out[k] = v;
        break;
      case 'port':
      case 'cacheMaxBytes':
      case 'tagTtlSeconds':
      case 'manifestMaxBytes':
      case 'fetchMaxBytes':
      case 'upstreamTimeoutMs':
        if (!Number.isSafeInteger(v) || (v as number) < 0) throw new Error(`${where(k)} must be a non-negative integer`);
        out[k] = v as number;
        break;
      case 'allow':
      case 'pushAllow':
      case 'allowPrivate':
      case 'egressAllow':
        if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new Error(`${where(k)} must be a list of strings`);
        out[k] = v as string[];
        break;
      case 'credentials':
        out.credentials = parseCredentials(v, where(k), env);
        break;
      default:
        throw new Error(`${where(k)} is not a known option`);
    }
  }
  return out;
}

function parseCredentials(v: unknown, where: string, env: Env): Record<string, RegistryCredentials> {
  if (!isObject(v)) throw new Error(`${where} must map registry hosts to {username, password | passwordEnv}`);
  const out: Record<string, RegistryCredentials> = {};
  for (const [registry, c] of Object.entries(v)) {
    if (!isObject(c) || typeof c.username !== 'string') throw new Error(`${where}.${registry} needs a "username"`);
    const password = typeof c.passwordEnv === 'string' ? env[c.passwordEnv] : c.password;
    if (typeof password !== 'string' || password === '') {
      throw new Error(`${where}.${registry} needs a "password", or "passwordEnv" naming a set environment variable`);
    }
    out[registry.toLowerCase()] = { username: c.username, password };
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function list(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** `1`/`true` are shorthands for `all`, `0`/`false` for none. */
function privateList(s: string): string[] {
  const v = s.trim().toLowerCase();
  if (v === '1' || v === 'true') return ['all'];
  if (v === '0' || v === 'false') return [];
  return list(s);
}

function int(name: string, s: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(s.trim()) || Number(s) > max) throw new Error(`${name}: expected an integer 0…${max}, got "${s}"`);
  return Number(s);
}

/** Accepts a byte count with an optional binary suffix: `500M`, `10G`, `1.5T`. */
function bytes(name: string, s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(s.trim());
  if (!m) throw new Error(`${name}: expected a size such as 1073741824, 500M or 10G, got "${s}"`);
  const exp = ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
  return Math.floor(Number(m[1]) * 1024 ** exp);
}
