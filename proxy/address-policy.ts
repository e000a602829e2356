import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { addCidr } from './cidr.ts';
import { RegistryAllowlist } from './registry-allowlist.ts';

/** Raised (through the socket) when an upstream would be reached on a forbidden address. */
export class AddressDeniedError extends Error {
  readonly code = 'EADDRDENIED';
}

// Everything that is not the public internet: loopback, RFC 1918, CGNAT, link-local (cloud
// metadata lives at 169.254.169.254), documentation/benchmark nets, multicast, reserved.
// IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) are matched by the IPv4 rules by BlockList itself.
const PRIVATE_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const PRIVATE_V6: [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];
const LOOPBACK: [string, number][] = [
  ['127.0.0.0', 8],
  ['::1', 128],
];
const NON_PUBLIC = subnets([...PRIVATE_V4, ...PRIVATE_V6]);

/** Is `ip` (an IP literal) on the public internet, i.e. outside every range listed above? */
export function isPublicAddress(ip: string): boolean {
  return !NON_PUBLIC.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Decides which registries may be reached and which addresses may be dialled. The address check
 * runs at connect time (as the socket's DNS lookup), so a name that resolves to a public address
 * when checked cannot switch to a private one when connecting (DNS rebinding), and the same rule
 * covers token realms and blob CDNs that the registry points to.
 */
export class AddressPolicy {
  private readonly registries: RegistryAllowlist;
  private readonly allowedPrivate = new BlockList();

  constructor(allow: readonly string[], allowPrivate: readonly string[]) {
    this.registries = new RegistryAllowlist(allow);
    for (const raw of allowPrivate) {
      const entry = raw.trim().toLowerCase();
      if (entry === 'all') addSubnets(this.allowedPrivate, [...PRIVATE_V4, ...PRIVATE_V6]);
      else if (entry === 'loopback') addSubnets(this.allowedPrivate, LOOPBACK);
      else addCidr(this.allowedPrivate, entry);
    }
  }

  /** Is `registry` (`host[:port]` as in the URL) on the allowlist? */
  isAllowedRegistry(registry: string): boolean {
    return this.registries.has(registry);
  }

  isAddressAllowed(ip: string): boolean {
    return isPublicAddress(ip) || this.allowedPrivate.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
  }

  /** For `http.request({lookup})`: resolves, then keeps only the addresses the policy permits. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const ok = addresses.filter((a) => this.isAddressAllowed(a.address));
      if (ok.length === 0) {
        const seen = addresses.map((a) => a.address).join(', ');
        return callback(new AddressDeniedError(`${hostname} resolves to a non-public address (${seen})`), []);
      }
      if (options.all) return callback(null, ok);
      callback(null, ok[0]!.address, ok[0]!.family);
    });
  };
}

function subnets(list: [string, number][]): BlockList {
  const b = new BlockList();
  addSubnets(b, list);
  return b;
}

function addSubnets(b: BlockList, list: [string, number][]): void {
  for (const [net, prefix] of list) b.addSubnet(net, prefix, isIP(net) === 6 ? 'ipv6' : 'ipv4');
}
