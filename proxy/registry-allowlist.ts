import { BlockList, isIP } from 'node:net';
import { addCidr } from './cidr.ts';
import { splitHostPort } from './registry-host.ts';

/**
 * A list of registries as written in the URL (`allow`, `pushAllow`): `docker.io`, `host:5000`,
 * `host:*` (any port), or an address range such as `127.0.0.0/8` (any IP-literal host inside it).
 */
export class RegistryAllowlist {
  private readonly hosts = new Set<string>();
  private readonly anyPort = new Set<string>();
  private readonly ranges = new BlockList();

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase();
      if (entry.includes('/')) addCidr(this.ranges, entry);
      else if (entry.endsWith(':*')) this.anyPort.add(entry.slice(0, -2));
      else this.hosts.add(entry);
    }
  }

  /** Is `registry` (`host[:port]` as in the URL) on the list? */
  has(registry: string): boolean {
    const r = registry.toLowerCase();
    if (this.hosts.has(r)) return true;
    const { hostname } = splitHostPort(r);
    if (this.anyPort.has(hostname) || this.anyPort.has(bracketed(hostname))) return true;
    const family = isIP(hostname);
    return family !== 0 && this.ranges.check(hostname, family === 4 ? 'ipv4' : 'ipv6');
  }
}

function bracketed(hostname: string): string {
  return isIP(hostname) === 6 ? `[${hostname}]` : hostname;
}
