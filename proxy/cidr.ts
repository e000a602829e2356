import { type BlockList, isIP } from 'node:net';

/** An address range in BlockList's terms. */
export interface Cidr {
  readonly net: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** `10.0.0.0/8`, `fd00::/8`, or a single address (a full-length prefix); undefined if malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [net = '', prefixText, ...rest] = text.split('/');
  const family = isIP(net);
  const max = family === 6 ? 128 : 32;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (family === 0 || rest.length > 0 || !/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { net, prefix, family: family === 6 ? 'ipv6' : 'ipv4' };
}

/** Adds a config entry (`10.0.0.0/8`, `[::1]`, `::1/128`) to `b`; a malformed one is a config error. */
export function addCidr(b: BlockList, entry: string): void {
  const cidr = parseCidr(entry.replace(/^\[|\]$/g, ''));
  if (!cidr) throw new Error(`invalid address or range "${entry}" (expected e.g. 10.0.0.0/8, ::1, loopback or all)`);
  b.addSubnet(cidr.net, cidr.prefix, cidr.family);
}
