// IPv4 packets (RFC 791): the header with its checksum; options are read past, never written.
import { type Ipv4, readIpv4, writeIpv4 } from './address.ts';
import { checksum } from './checksum.ts';

export const IpProtocol = { icmp: 1, tcp: 6, udp: 17 } as const;
const HEADER = 20;

export interface Ipv4Packet {
  readonly src: Ipv4;
  readonly dst: Ipv4;
  readonly protocol: number;
  readonly ttl: number;
  /** A fragment (more fragments follow, or an offset): the network code does not reassemble. */
  readonly fragment: boolean;
  readonly payload: Uint8Array;
}

/** Undefined for a packet that is not IPv4, is truncated, or fails its header checksum. */
export function parseIpv4Packet(b: Uint8Array): Ipv4Packet | undefined {
  if (b.length < HEADER || b[0]! >> 4 !== 4) return undefined;
  const ihl = (b[0]! & 15) * 4;
  const total = (b[2]! << 8) | b[3]!;
  if (ihl < HEADER || total < ihl || total > b.length || checksum(b.subarray(0, ihl)) !== 0) return undefined;
  const flagsOffset = (b[6]! << 8) | b[7]!;
  return {
    src: readIpv4(b, 12),
    dst: readIpv4(b, 16),
    protocol: b[9]!,
    ttl: b[8]!,
    fragment: (flagsOffset & 0x2000) !== 0 || (flagsOffset & 0x1fff) !== 0,
    payload: b.subarray(ihl, total),
  };
}

/** A packet with "don't fragment" set and a fresh header checksum. */
export function buildIpv4Packet(p: { src: Ipv4; dst: Ipv4; protocol: number; ttl?: number; id?: number; payload: Uint8Array }): Uint8Array {
  const b = new Uint8Array(HEADER + p.payload.length);
  const id = p.id ?? 0;
  b.set([0x45, 0, b.length >>> 8, b.length & 255, id >>> 8, id & 255, 0x40, 0, p.ttl ?? 64, p.protocol]);
  writeIpv4(b, 12, p.src);
  writeIpv4(b, 16, p.dst);
  const sum = checksum(b.subarray(0, HEADER));
  b[10] = sum >>> 8;
  b[11] = sum & 255;
  b.set(p.payload, HEADER);
  return b;
}
