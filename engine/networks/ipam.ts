// Docker's default IPAM: where a network's subnet comes from and which address a container gets.

import { formatIpv4 } from '../../core/net/address.ts';
import type { IpamPool } from '../../core/store/network-types.ts';
import { type Cidr, contains, formatCidr, lastOf, overlaps, parseCidr, parseIp } from './ipv4.ts';
import { IpamError, PoolOverlapError } from './network-errors.ts';

/** The default bridge's pool, as Docker sets up `docker0`. */
export const DEFAULT_BRIDGE_POOL: IpamPool = { Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' };

/**
 * Docker's default address pools for user networks, in the order it hands them out:
 * 172.17–172.31 as /16s (172.17 is the default bridge's), then 192.168.0.0/16 as /20s.
 */
function* defaultPools(): Generator<Cidr> {
  for (let b = 17; b <= 31; b++) yield { base: ((172 << 24) >>> 0) + (b << 16), bits: 16 };
  for (let c = 0; c < 256; c += 16) yield { base: ((192 << 24) >>> 0) + (168 << 16) + (c << 8), bits: 20 };
}

/** What `docker network create` asked for. */
export interface PoolRequest {
  readonly subnet?: string;
  readonly gateway?: string;
  readonly ipRange?: string;
}

/** The pool of a new network: the one asked for, checked, or the first default one that is free. */
export function planPool(req: PoolRequest, taken: readonly IpamPool[]): IpamPool {
  const used = taken.map((p) => parseCidr(p.Subnet, 'subnet'));
  if (req.subnet === undefined) {
    if (req.gateway !== undefined || req.ipRange !== undefined) throw new IpamError('every ip-range or gateway must have a corresponding subnet');
    for (const c of defaultPools()) {
      if (!used.some((u) => overlaps(u, c))) return { Subnet: formatCidr(c), Gateway: formatIpv4(c.base + 1) };
    }
    throw new IpamError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
  }
  const subnet = parseCidr(req.subnet, 'subnet');
  if (subnet.bits > 30) throw new IpamError(`invalid subnet ${req.subnet}: a /${subnet.bits} has no room for a gateway and a container`);
  if (used.some((u) => overlaps(u, subnet))) throw new PoolOverlapError();
  let gateway = subnet.base + 1;
  if (req.gateway !== undefined) {
    const g = parseIp(req.gateway);
    if (g === undefined) throw new IpamError(`invalid gateway ${req.gateway}: ParseAddr("${req.gateway}"): unable to parse IP`);
    if (!contains(subnet, g)) throw new IpamError(`no matching subnet for gateway ${req.gateway}`);
    gateway = g;
  }
  let range: Cidr | undefined;
  if (req.ipRange !== undefined) {
    range = parseCidr(req.ipRange, 'ip-range');
    if (!contains(subnet, range.base) || !contains(subnet, lastOf(range))) throw new IpamError(`no matching subnet for range ${req.ipRange}`);
  }
  return { Subnet: formatCidr(subnet), Gateway: formatIpv4(gateway), ...(range ? { IPRange: formatCidr(range) } : {}) };
}

/**
 * An address for a container: `want` (`--ip`) when it is free and inside the pool, else the lowest
 * free one of the range, never the subnet's network or broadcast address nor the gateway.
 */
export function allocateAddress(pool: IpamPool, inUse: ReadonlySet<string>, want?: string): string {
  const subnet = parseCidr(pool.Subnet, 'subnet');
  const range = pool.IPRange ? parseCidr(pool.IPRange, 'ip-range') : subnet;
  const usable = (ip: number) => ip !== subnet.base && ip !== lastOf(subnet) && formatIpv4(ip) !== pool.Gateway;
  if (want !== undefined) {
    const ip = parseIp(want);
    if (ip === undefined) throw new IpamError(`invalid IPv4 address: ${want}`);
    if (!contains(range, ip) || !usable(ip)) throw new IpamError(`invalid endpoint settings:\nno configured subnet or ip-range contain the IP address ${want}`);
    if (inUse.has(want)) throw new IpamError('Address already in use');
    return want;
  }
  for (let ip = range.base; ip <= lastOf(range); ip++) {
    if (usable(ip) && !inUse.has(formatIpv4(ip))) return formatIpv4(ip);
  }
  throw new IpamError(`no available IPv4 addresses on this network's address pools`);
}

/** The subnet's prefix length (`16` for 172.17.0.0/16). */
export function prefixLength(pool: IpamPool): number {
  return parseCidr(pool.Subnet, 'subnet').bits;
}
