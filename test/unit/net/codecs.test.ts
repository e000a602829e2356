// The packet codecs on known values: the Internet checksum, addresses, Docker's MAC for an IP.
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatMac, macForIpv4, parseCidr, parseIpv4, parseMac } from '../../../core/net/address.ts';
import { checksum } from '../../../core/net/checksum.ts';
import { parseIpv4Packet } from '../../../core/net/ipv4.ts';
import { hex } from './frames.ts';

describe('packet codecs', () => {
  it('computes the IPv4 header checksum of a known header', () => {
    const header = hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
    expect(checksum(header).toString(16)).toBe('b861');
    header.set([0xb8, 0x61], 10);
    expect(checksum(header)).toBe(0);
  });

  it('parses and formats addresses, and rejects bad ones with a typed error', () => {
    expect(formatIpv4(parseIpv4('172.17.0.2'))).toBe('172.17.0.2');
    expect(parseCidr('172.18.0.0/16')).toEqual({ address: parseIpv4('172.18.0.0'), prefix: 16 });
    expect(formatMac(macForIpv4(parseIpv4('172.17.0.2')))).toBe('02:42:ac:11:00:02');
    expect(formatMac(parseMac('02:42:AC:11:00:02'))).toBe('02:42:ac:11:00:02');
    expect(() => parseIpv4('300.1.1.1')).toThrow(expect.objectContaining({ name: 'InvalidParameterError' }));
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/invalid IPv4 subnet/);
    expect(() => parseMac('02:42')).toThrow(/invalid MAC/);
  });

  it('refuses a truncated IPv4 packet', () => {
    expect(parseIpv4Packet(hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7'))).toBeUndefined();
  });
});
