import { DEFAULT_PATH } from '../../core/path-lookup.ts';

/** Image env, then the caller's: a later KEY replaces an earlier one, as Docker merges them. */
export function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...extra]) {
    const eq = e.indexOf('=');
    if (eq < 0) continue;
    out.set(e.slice(0, eq), e);
  }
  return [...out.values()];
}

const PROXY_VARS = ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'];

/**
 * What Docker adds to every container's environment; and `proxy`, the gateway's HTTP proxy, as
 * Docker's client adds the proxies of its config.json: unless the container sets one of them.
 */
export function withDefaultEnv(env: readonly string[], hostname: string, tty: boolean, proxy?: string): string[] {
  const setsProxy = env.some((e) => PROXY_VARS.includes(e.slice(0, e.indexOf('='))));
  const proxyEnv = proxy && !setsProxy ? PROXY_VARS.map((k) => `${k}=${k.toLowerCase() === 'no_proxy' ? 'localhost,127.0.0.1' : proxy}`) : [];
  const extra = [`HOSTNAME=${hostname}`, ...(tty ? ['TERM=xterm'] : []), ...proxyEnv];
  const base = env.some((e) => e.startsWith('PATH=')) ? env : [`PATH=${DEFAULT_PATH}`, ...env];
  return mergeEnv(extra, base);
}
