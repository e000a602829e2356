/** What lwIP's side checks beyond core/net/address.ts: netmasks, a unicast MAC, ports. */
import { InvalidParameterError } from '../../core/errors.ts';
import { parseMac } from '../../core/net/address.ts';

export function prefixToNetmask(prefix: number): number {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new InvalidParameterError(`invalid IPv4 prefix length: ${prefix}`);
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function parseUnicastMac(text: string): Uint8Array {
  const mac = parseMac(text);
  if (mac[0]! & 1) throw new InvalidParameterError(`MAC address ${text} is a multicast address`);
  return mac;
}

export function checkPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidParameterError(`invalid ${what} port: ${port}`);
  return port;
}
