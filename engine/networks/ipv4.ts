import { formatIpv4, formatMac, macForIpv4 } from '../../core/net/address.ts';
import { IpamError } from './network-errors.ts';

/** An IPv4 subnet: its network address as an unsigned 32-bit number and its prefix length. */
export interface Cidr {
  readonly base: number;
  readonly bits: number;
}

const IP_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** `172.17.0.2` → 0xac110002; undefined when it is not a dotted quad. */
export function parseIp(s: string): number | undefined {
  const m = IP_RE.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Parses `172.18.0.0/16`; `what` names the flag in the message (`subnet`, `ip-range`). */
export function parseCidr(s: string, what: string): Cidr {
  const [ip, len, ...rest] = s.trim().split('/');
  const base = parseIp(ip ?? '');
  const bits = Number(len);
  if (base === undefined || rest.length || len === undefined || !/^\d{1,2}$/.test(len) || bits > 32) {
    throw new IpamError(`invalid ${what} ${s}: invalid CIDR address: ${s}`);
  }
  const network = (base & mask(bits)) >>> 0;
  if (network !== base) throw new IpamError(`invalid ${what} ${s}: it should be ${formatCidr({ base: network, bits })}`);
  return { base, bits };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.bits}`;
}

/** The last address of the subnet (its broadcast address). */
export function lastOf(c: Cidr): number {
  return (c.base + 2 ** (32 - c.bits) - 1) >>> 0;
}

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip <= lastOf(c);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base <= lastOf(b) && b.base <= lastOf(a);
}

/** Docker's MAC for an address: 02:42 and the four address bytes (`02:42:ac:11:00:02`). */
/** Docker's MAC for an address, in text: `02:42:ac:11:00:02` for 172.17.0.2. */
export function macOf(ip: number): string {
  return formatMac(macForIpv4(ip));
}
