// ICMP (RFC 792): echo, what `ping` sends and expects back, and destination unreachable.
import { checksum } from './checksum.ts';

export const IcmpType = { echoReply: 0, destinationUnreachable: 3, echoRequest: 8 } as const;
/** Destination unreachable, "communication administratively prohibited" (RFC 1812): a fatal error to TCP, so a connect fails at once. */
export const ICMP_ADMIN_PROHIBITED = 13;

export interface IcmpMessage {
  readonly type: number;
  readonly code: number;
  /** Everything after the checksum: for an echo, identifier, sequence number and data. */
  readonly rest: Uint8Array;
}

/** Undefined when truncated or the checksum is wrong. */
export function parseIcmp(b: Uint8Array): IcmpMessage | undefined {
  if (b.length < 8 || checksum(b) !== 0) return undefined;
  return { type: b[0]!, code: b[1]!, rest: b.subarray(4) };
}

export function buildIcmp(m: IcmpMessage): Uint8Array {
  const b = new Uint8Array(4 + m.rest.length);
  b[0] = m.type;
  b[1] = m.code;
  b.set(m.rest, 4);
  const sum = checksum(b);
  b[2] = sum >>> 8;
  b[3] = sum & 255;
  return b;
}
