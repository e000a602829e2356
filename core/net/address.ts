// IPv4 and MAC addresses in the forms the network code passes around: an IPv4 address as an
// unsigned 32-bit number, a MAC as 6 bytes or Docker's `02:42:ac:11:00:02`.
import { InvalidParameterError } from '../errors.ts';

export type Ipv4 = number;

export function parseIpv4(text: string): Ipv4 {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new InvalidParameterError(`invalid IPv4 address: ${JSON.stringify(text)}`);
  }
  return parts.reduce((a, p) => a * 256 + Number(p), 0);
}

export function formatIpv4(ip: Ipv4): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

/** `172.18.0.0/16` → the network address and prefix length. */
export function parseCidr(text: string): { readonly address: Ipv4; readonly prefix: number } {
  const [ip, len, extra] = text.split('/');
  const prefix = Number(len);
  if (extra !== undefined || !/^\d{1,2}$/.test(len ?? '') || prefix > 32) {
    throw new InvalidParameterError(`invalid IPv4 subnet: ${JSON.stringify(text)}`);
  }
  return { address: parseIpv4(ip!), prefix };
}

export function readIpv4(b: Uint8Array, at: number): Ipv4 {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

export function writeIpv4(b: Uint8Array, at: number, ip: Ipv4): void {
  b[at] = ip >>> 24;
  b[at + 1] = (ip >>> 16) & 255;
  b[at + 2] = (ip >>> 8) & 255;
  b[at + 3] = ip & 255;
}

export type Mac = Uint8Array;

export function parseMac(text: string): Mac {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new InvalidParameterError(`invalid MAC address: ${JSON.stringify(text)}`);
  }
  return new Uint8Array(parts.map((p) => Number.parseInt(p, 16)));
}

export function formatMac(mac: Uint8Array): string {
  return [...mac.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A MAC as a number (48 bits fit a double exactly): a cheap Map key. */
export function macKey(b: Uint8Array, at = 0): number {
  return b[at]! * 2 ** 40 + b[at + 1]! * 2 ** 32 + readIpv4(b, at + 2);
}

/** Docker's MAC for an address: 02:42 and the address's four bytes. */
export function macForIpv4(ip: Ipv4): Mac {
  const mac = new Uint8Array([2, 0x42, 0, 0, 0, 0]);
  writeIpv4(mac, 2, ip);
  return mac;
}
