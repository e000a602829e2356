// UDP datagrams (RFC 768) with the IPv4 pseudo-header checksum.
import { type Ipv4, writeIpv4 } from './address.ts';
import { checksum, onesSum } from './checksum.ts';
import { IpProtocol } from './ipv4.ts';

export interface UdpDatagram {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

function pseudoSum(src: Ipv4, dst: Ipv4, length: number): number {
  const p = new Uint8Array(12);
  writeIpv4(p, 0, src);
  writeIpv4(p, 4, dst);
  p[9] = IpProtocol.udp;
  p[10] = length >>> 8;
  p[11] = length & 255;
  return onesSum(p);
}

/** Undefined when truncated or the checksum (when the sender set one) is wrong. */
export function parseUdp(b: Uint8Array, src: Ipv4, dst: Ipv4): UdpDatagram | undefined {
  if (b.length < 8) return undefined;
  const length = (b[4]! << 8) | b[5]!;
  if (length < 8 || length > b.length) return undefined;
  const d = b.subarray(0, length);
  if (((b[6]! << 8) | b[7]!) !== 0 && checksum(d, pseudoSum(src, dst, length)) !== 0) return undefined;
  return { srcPort: (b[0]! << 8) | b[1]!, dstPort: (b[2]! << 8) | b[3]!, payload: d.subarray(8) };
}

export function buildUdp(src: Ipv4, dst: Ipv4, u: UdpDatagram): Uint8Array {
  const b = new Uint8Array(8 + u.payload.length);
  b.set([u.srcPort >>> 8, u.srcPort & 255, u.dstPort >>> 8, u.dstPort & 255, b.length >>> 8, b.length & 255]);
  b.set(u.payload, 8);
  // 0 means "no checksum" in UDP, so a computed 0 is sent as its one's-complement twin.
  const sum = checksum(b, pseudoSum(src, dst, b.length)) || 0xffff;
  b[6] = sum >>> 8;
  b[7] = sum & 255;
  return b;
}
