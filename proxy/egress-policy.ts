import { BlockList, isIP } from 'node:net';
import { isPublicAddress } from './address-policy.ts';
import { parseCidr } from './cidr.ts';
import { type EgressTarget, isDnsName } from './egress-target.ts';

/** The ports an entry opens: a list, or any. */
type Ports = readonly number[] | 'any';

/** `example.org`, or `*.example.org` (any subdomain, not the name itself). */
interface NameRule {
  readonly name: string;
  readonly subdomains: boolean;
  readonly ports: Ports;
}

/** An IP literal or CIDR entry: it allows IP-literal targets and dialling (even non-public) addresses inside it. */
interface AddressRule {
  readonly range: BlockList;
  readonly ports: Ports;
}

const WEB_PORTS: Ports = [80, 443];
const EXAMPLES = 'example.org, example.org:8080, example.org:*, *.example.org, 203.0.113.7, 10.0.0.0/8:*, [::1]:8080';

/**
 * Which TCP targets the egress endpoint may reach (`egressAllow`; nothing when empty). A target
 * must match an entry; then each address it resolves to must be public, or inside an IP/CIDR entry
 * for that port. That second check runs on the addresses actually dialled, so DNS rebinding cannot
 * turn an allowed name into a door to loopback or the LAN.
 */
export class EgressPolicy {
  private readonly names: NameRule[] = [];
  private readonly addresses: AddressRule[] = [];

  constructor(allow: readonly string[]) {
    for (const entry of allow) this.add(entry);
  }

  /** Is the target, as the client named it, on the list? */
  allowsTarget(target: EgressTarget): boolean {
    if (target.family !== 0) return this.coveredByAddressRule(target.host, target.port);
    return this.names.some((r) => hasPort(r.ports, target.port) && (r.subdomains ? target.host.endsWith(`.${r.name}`) : target.host === r.name));
  }

  /** May `ip` be dialled for a tunnel to `port` of an allowed target? */
  allowsAddress(ip: string, port: number): boolean {
    return isPublicAddress(ip) || this.coveredByAddressRule(ip, port);
  }

  private coveredByAddressRule(ip: string, port: number): boolean {
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    return this.addresses.some((r) => hasPort(r.ports, port) && r.range.check(ip, family));
  }

  private add(raw: string): void {
    const entry = raw.trim().toLowerCase();
    const invalid = () => new Error(`egressAllow: invalid entry "${raw}" (expected e.g. ${EXAMPLES})`);
    const { host, portText, bracketed } = splitEntry(entry);
    const ports = parsePorts(portText);
    if (!ports || host === '') throw invalid();
    if (bracketed || host.includes('/') || isIP(host) !== 0) {
      const cidr = parseCidr(host);
      if (!cidr || (bracketed && cidr.family !== 'ipv6')) throw invalid();
      const range = new BlockList();
      range.addSubnet(cidr.net, cidr.prefix, cidr.family);
      this.addresses.push({ range, ports });
      return;
    }
    const subdomains = host.startsWith('*.');
    const name = subdomains ? host.slice(2) : host;
    if (!isDnsName(name)) throw invalid();
    this.names.push({ name, subdomains, ports });
  }
}

/** `[v6]:port`, `[v6/len]`, bare `v6` or `v6/len` (no port), `host:port`, `host`. */
function splitEntry(entry: string): { host: string; portText: string | undefined; bracketed: boolean } {
  const m = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
  if (m) return { host: m[1]!, portText: m[2], bracketed: true };
  if ((entry.match(/:/g) ?? []).length > 1) return { host: entry, portText: undefined, bracketed: false };
  const colon = entry.indexOf(':');
  if (colon < 0) return { host: entry, portText: undefined, bracketed: false };
  return { host: entry.slice(0, colon), portText: entry.slice(colon + 1), bracketed: false };
}

function parsePorts(text: string | undefined): Ports | undefined {
  if (text === undefined) return WEB_PORTS;
  if (text === '*') return 'any';
  const port = /^\d{1,5}$/.test(text) ? Number(text) : 0;
  return port >= 1 && port <= 65535 ? [port] : undefined;
}

function hasPort(ports: Ports, port: number): boolean {
  return ports === 'any' || ports.includes(port);
}
