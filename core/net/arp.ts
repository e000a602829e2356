// ARP for IPv4 over Ethernet (RFC 826): the 28-byte request and reply.
import { type Ipv4, type Mac, readIpv4, writeIpv4 } from './address.ts';

const ARP_LENGTH = 28;
export const ArpOp = { request: 1, reply: 2 } as const;

export interface ArpPacket {
  readonly op: number;
  readonly senderMac: Mac;
  readonly senderIp: Ipv4;
  readonly targetMac: Mac;
  readonly targetIp: Ipv4;
}

/** Undefined for anything but Ethernet/IPv4 ARP. */
export function parseArp(b: Uint8Array): ArpPacket | undefined {
  if (b.length < ARP_LENGTH) return undefined;
  const htype = (b[0]! << 8) | b[1]!;
  const ptype = (b[2]! << 8) | b[3]!;
  if (htype !== 1 || ptype !== 0x0800 || b[4] !== 6 || b[5] !== 4) return undefined;
  return {
    op: (b[6]! << 8) | b[7]!,
    senderMac: b.subarray(8, 14),
    senderIp: readIpv4(b, 14),
    targetMac: b.subarray(18, 24),
    targetIp: readIpv4(b, 24),
  };
}

export function buildArp(p: ArpPacket): Uint8Array {
  const b = new Uint8Array(ARP_LENGTH);
  b.set([0, 1, 8, 0, 6, 4, 0, p.op]);
  b.set(p.senderMac.subarray(0, 6), 8);
  writeIpv4(b, 14, p.senderIp);
  b.set(p.targetMac.subarray(0, 6), 18);
  writeIpv4(b, 24, p.targetIp);
  return b;
}
