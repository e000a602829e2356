import { isIP } from 'node:net';

// distribution/reference's domain grammar (a name, an IPv4, or a bracketed IPv6; optional port).
const REGISTRY_HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[a-f0-9:.]+\])(?::[0-9]{1,5})?$/;

/** Is this a well-formed `host[:port]` as it appears in `/v2/<registry-host>/…`? */
export function isRegistryHost(s: string): boolean {
  return REGISTRY_HOST.test(s);
}

/** `host:port`, `[v6]:port` → parts; the hostname keeps no brackets. */
export function splitHostPort(registry: string): { hostname: string; port: string | undefined } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(registry) ?? /^([^:]+)(?::(\d+))?$/.exec(registry);
  return m ? { hostname: m[1]!, port: m[2] } : { hostname: registry, port: undefined };
}

function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/**
 * Where a registry named in the URL really lives: `docker.io` is served by registry-1.docker.io;
 * loopback registries speak plain http (Docker's insecure default for them), all others https.
 */
export function upstreamOrigin(registry: string): string {
  if (registry === 'docker.io') return 'https://registry-1.docker.io';
  return `${isLoopbackHost(splitHostPort(registry).hostname) ? 'http' : 'https'}://${registry}`;
}
