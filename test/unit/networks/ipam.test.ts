// Docker's default IPAM (engine/networks/ipam.ts): pools for new networks, addresses for containers.
import { describe, expect, it } from 'vitest';
import { allocateAddress, DEFAULT_BRIDGE_POOL, planPool } from '../../../engine/networks/ipam.ts';
import { macOf, parseIp } from '../../../engine/networks/ipv4.ts';
import { IpamError, PoolOverlapError } from '../../../engine/networks/network-errors.ts';

describe('planPool', () => {
  it('hands out 172.18, 172.19, … after the default bridge, skipping taken subnets, then 192.168.x.0/20', () => {
    const taken = [DEFAULT_BRIDGE_POOL];
    const first = planPool({}, taken);
    expect(first).toEqual({ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' });
    taken.push(first, { Subnet: '172.19.5.0/24', Gateway: '172.19.5.1' });
    expect(planPool({}, taken)).toEqual({ Subnet: '172.20.0.0/16', Gateway: '172.20.0.1' });
    const all172 = Array.from({ length: 15 }, (_, i) => ({ Subnet: `172.${17 + i}.0.0/16`, Gateway: `172.${17 + i}.0.1` }));
    expect(planPool({}, all172)).toEqual({ Subnet: '192.168.0.0/20', Gateway: '192.168.0.1' });
  });

  it('honours --subnet, --gateway and --ip-range, and refuses what Docker refuses', () => {
    expect(planPool({ subnet: '10.10.0.0/24', gateway: '10.10.0.254', ipRange: '10.10.0.128/25' }, [])).toEqual({
      Subnet: '10.10.0.0/24',
      Gateway: '10.10.0.254',
      IPRange: '10.10.0.128/25',
    });
    expect(() => planPool({ subnet: '172.17.5.0/24' }, [DEFAULT_BRIDGE_POOL])).toThrow(PoolOverlapError);
    expect(() => planPool({ subnet: '172.17.5.0/24' }, [DEFAULT_BRIDGE_POOL])).toThrow('Pool overlaps with other one on this address space');
    expect(() => planPool({ subnet: 'banana' }, [])).toThrow(new IpamError('invalid subnet banana: invalid CIDR address: banana'));
    expect(() => planPool({ subnet: '10.1.2.3/16' }, [])).toThrow('invalid subnet 10.1.2.3/16: it should be 10.1.0.0/16');
    expect(() => planPool({ subnet: '10.1.0.0/16', gateway: '10.2.0.1' }, [])).toThrow('no matching subnet for gateway 10.2.0.1');
    expect(() => planPool({ subnet: '10.1.0.0/16', ipRange: '10.2.0.0/24' }, [])).toThrow('no matching subnet for range 10.2.0.0/24');
    expect(() => planPool({ gateway: '10.2.0.1' }, [])).toThrow('every ip-range or gateway must have a corresponding subnet');
    expect(new PoolOverlapError().status).toBe(403);
  });
});

describe('allocateAddress', () => {
  it('takes the lowest free address of the range, never the network, broadcast or gateway address', () => {
    const pool = { Subnet: '10.0.0.0/29', Gateway: '10.0.0.1' };
    expect(allocateAddress(pool, new Set())).toBe('10.0.0.2');
    expect(allocateAddress(pool, new Set(['10.0.0.2', '10.0.0.3']))).toBe('10.0.0.4');
    expect(() => allocateAddress(pool, new Set(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']))).toThrow(
      "no available IPv4 addresses on this network's address pools",
    );
    expect(allocateAddress({ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1', IPRange: '10.0.0.128/25' }, new Set())).toBe('10.0.0.128');
  });

  it('gives --ip when it is free and inside the pool', () => {
    const pool = { Subnet: '172.30.0.0/16', Gateway: '172.30.0.1' };
    expect(allocateAddress(pool, new Set(), '172.30.100.104')).toBe('172.30.100.104');
    expect(() => allocateAddress(pool, new Set(['172.30.100.104']), '172.30.100.104')).toThrow('Address already in use');
    expect(() => allocateAddress(pool, new Set(), '10.0.0.5')).toThrow('no configured subnet or ip-range contain the IP address 10.0.0.5');
    expect(() => allocateAddress(pool, new Set(), '172.30.0.1')).toThrow(IpamError);
  });

  it('derives the MAC from the address, as Docker does', () => {
    expect(macOf(parseIp('172.17.0.2')!)).toBe('02:42:ac:11:00:02');
    expect(macOf(parseIp('192.168.16.255')!)).toBe('02:42:c0:a8:10:ff');
  });
});
