// DNS messages (RFC 1035), as far as an embedded server needs: one question in, an answer of
// A records (or none) out. Names are compared without case and without a trailing dot.
import { type Ipv4, writeIpv4 } from './address.ts';

export const DnsType = { a: 1, aaaa: 28 } as const;
export const DnsRcode = { noError: 0, formErr: 1, nxDomain: 3, notImp: 4 } as const;
const HEADER = 12;

export interface DnsQuery {
  readonly id: number;
  readonly flags: number;
  /** Lower case, no trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly class: number;
  /** The question section exactly as sent, echoed in the answer. */
  readonly question: Uint8Array;
}

/** The first question of a standard query; undefined for anything else (responses, truncation). */
export function parseDnsQuery(b: Uint8Array): DnsQuery | undefined {
  if (b.length < HEADER) return undefined;
  const flags = (b[2]! << 8) | b[3]!;
  const qdcount = (b[4]! << 8) | b[5]!;
  if (flags & 0x8000 || qdcount < 1) return undefined;
  const labels: string[] = [];
  let at = HEADER;
  for (;;) {
    const len = b[at];
    if (len === undefined || len > 63) return undefined; // compression has no place in a question
    at++;
    if (len === 0) break;
    if (at + len > b.length) return undefined;
    labels.push(String.fromCharCode(...b.subarray(at, at + len)).toLowerCase());
    at += len;
  }
  if (at + 4 > b.length) return undefined;
  return {
    id: (b[0]! << 8) | b[1]!,
    flags,
    name: labels.join('.'),
    type: (b[at]! << 8) | b[at + 1]!,
    class: (b[at + 2]! << 8) | b[at + 3]!,
    question: b.subarray(HEADER, at + 4),
  };
}

/**
 * The answer to `q`: `addresses` as A records with `ttl` (empty: no records of that type),
 * authoritative, with the query's recursion-desired bit echoed.
 */
export function buildDnsAnswer(q: DnsQuery, rcode: number, addresses: readonly Ipv4[] = [], ttl = 600): Uint8Array {
  const b = new Uint8Array(HEADER + q.question.length + addresses.length * 16);
  const flags = 0x8000 | (q.flags & 0x7800) | 0x0400 | (q.flags & 0x0100) | (rcode & 15);
  b.set([q.id >>> 8, q.id & 255, flags >>> 8, flags & 255, 0, 1, addresses.length >>> 8, addresses.length & 255, 0, 0, 0, 0]);
  b.set(q.question, HEADER);
  let at = HEADER + q.question.length;
  for (const ip of addresses) {
    // A pointer to the question's name (offset 12), type A, class IN, the TTL, 4 bytes of data.
    b.set([0xc0, HEADER, 0, DnsType.a, 0, 1, ttl >>> 24, (ttl >>> 16) & 255, (ttl >>> 8) & 255, ttl & 255, 0, 4], at);
    writeIpv4(b, at + 12, ip);
    at += 16;
  }
  return b;
}
