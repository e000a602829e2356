/** What lwIP's side checks beyond core/net/address.ts: netmasks, a unicast MAC, ports, hosts in a subnet. */
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

/** `ip` is a host of the subnet that `member` is in, under `netmask`. */
export function checkHostInSubnet(ip: number, member: number, netmask: number, text: string): number {
  if ((ip & netmask) >>> 0 !== (member & netmask) >>> 0) throw new InvalidParameterError(`address ${text} is outside the stack's subnet`);
  const host = (ip & ~netmask) >>> 0;
  // The network and broadcast addresses, except on /31 and /32 where every address is a host.
  if (netmask >>> 0 < 0xfffffffe && (host === 0 || host === ~netmask >>> 0))
    throw new InvalidParameterError(`address ${text} is the subnet's network or broadcast address`);
  return ip;
}
