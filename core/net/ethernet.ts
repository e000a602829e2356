// Ethernet II frames: destination, source, EtherType, payload (no FCS: the NIC strips it).
import type { Mac } from './address.ts';

export const ETHER_HEADER = 14;
export const EtherType = { ipv4: 0x0800, arp: 0x0806, ipv6: 0x86dd } as const;

export interface EthernetFrame {
  readonly dst: Mac;
  readonly src: Mac;
  readonly type: number;
  readonly payload: Uint8Array;
}

/** Views into `frame` (no copies); undefined when it is too short to be one. */
export function parseEthernet(frame: Uint8Array): EthernetFrame | undefined {
  if (frame.length < ETHER_HEADER) return undefined;
  return {
    dst: frame.subarray(0, 6),
    src: frame.subarray(6, 12),
    type: (frame[12]! << 8) | frame[13]!,
    payload: frame.subarray(ETHER_HEADER),
  };
}

export function buildEthernet(dst: Mac, src: Mac, type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(ETHER_HEADER + payload.length);
  out.set(dst.subarray(0, 6), 0);
  out.set(src.subarray(0, 6), 6);
  out[12] = type >>> 8;
  out[13] = type & 255;
  out.set(payload, ETHER_HEADER);
  return out;
}

/** Broadcast and multicast destinations have the group bit (the first byte's lowest) set. */
export function isGroupMac(mac: Uint8Array): boolean {
  return (mac[0]! & 1) === 1;
}
