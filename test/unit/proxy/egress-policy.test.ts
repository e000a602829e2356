// The egress endpoint's rules: which targets a URL names, which the allowlist lets through, and
// which resolved addresses may be dialled.
import { describe, expect, it } from 'vitest';
import { EgressPolicy } from '../../../proxy/egress-policy.ts';
import { type EgressTarget, parseEgressTarget } from '../../../proxy/egress-target.ts';

const t = (s: string): EgressTarget => {
  const target = parseEgressTarget(`/egress/${s}`);
  if (!target) throw new Error(`not a target: ${s}`);
  return target;
};

describe('parseEgressTarget', () => {
  it('reads a name, an IPv4 literal or a bracketed IPv6 literal, and a port', () => {
    expect(parseEgressTarget('/egress/Example.ORG:443')).toEqual({ host: 'example.org', port: 443, family: 0 });
    expect(parseEgressTarget('/egress/203.0.113.7:80')).toEqual({ host: '203.0.113.7', port: 80, family: 4 });
    expect(parseEgressTarget('/egress/[::1]:8080')).toEqual({ host: '::1', port: 8080, family: 6 });
    expect(parseEgressTarget('/egress/%5B2001:db8::1%5D:22')).toEqual({ host: '2001:db8::1', port: 22, family: 6 });
  });

  it('names no target for anything else', () => {
    for (const p of [
      '/egress',
      '/egress/',
      '/egress/example.org',
      '/egress/example.org:0',
      '/egress/example.org:65536',
      '/egress/example.org:443/x',
      '/egress/example.org:443?x=1',
      '/egress/::1:80',
      '/egress/[example.org]:80',
      '/egress/[1.2.3.4]:80',
      '/egress/ex_ample.org:80',
      '/egress/-example.org:80',
      '/egress/example.org.:80',
      '/egress/127.1:80',
      '/egress/999.1.1.1:80',
      '/egress/%zz:80',
      `/egress/${'a'.repeat(64)}.org:80`,
      '/egressx/example.org:80',
    ]) {
      expect(parseEgressTarget(p), p).toBeUndefined();
    }
  });
});

describe('EgressPolicy', () => {
  it('allows nothing when empty', () => {
    const p = new EgressPolicy([]);
    expect(p.allowsTarget(t('example.org:443'))).toBe(false);
    expect(p.allowsTarget(t('8.8.8.8:53'))).toBe(false);
  });

  it('matches names: 80 and 443 by default, one port, any port, or any subdomain', () => {
    const p = new EgressPolicy(['Example.org', 'api.example.net:8080', 'any.example.com:*', '*.debian.org', '*.ports.example:*']);
    expect(p.allowsTarget(t('example.org:80'))).toBe(true);
    expect(p.allowsTarget(t('example.org:443'))).toBe(true);
    expect(p.allowsTarget(t('example.org:22'))).toBe(false);
    expect(p.allowsTarget(t('www.example.org:443'))).toBe(false);
    expect(p.allowsTarget(t('api.example.net:8080'))).toBe(true);
    expect(p.allowsTarget(t('api.example.net:443'))).toBe(false);
    expect(p.allowsTarget(t('any.example.com:1'))).toBe(true);
    expect(p.allowsTarget(t('deb.debian.org:80'))).toBe(true);
    expect(p.allowsTarget(t('a.b.debian.org:443'))).toBe(true);
    expect(p.allowsTarget(t('debian.org:80'))).toBe(false);
    expect(p.allowsTarget(t('evildebian.org:80'))).toBe(false);
    expect(p.allowsTarget(t('deb.debian.org:8080'))).toBe(false);
    expect(p.allowsTarget(t('x.ports.example:9999'))).toBe(true);
    // A name entry says nothing about IP-literal targets.
    expect(p.allowsTarget(t('93.184.215.14:80'))).toBe(false);
  });

  it('matches IP literals and CIDRs, with their ports', () => {
    const p = new EgressPolicy(['203.0.113.7', '127.0.0.1:8080', '10.0.0.0/8:*', '[::1]:8080', '[fd00::/8]:*', '2001:db8::/32']);
    expect(p.allowsTarget(t('203.0.113.7:443'))).toBe(true);
    expect(p.allowsTarget(t('203.0.113.7:22'))).toBe(false);
    expect(p.allowsTarget(t('127.0.0.1:8080'))).toBe(true);
    expect(p.allowsTarget(t('127.0.0.1:8081'))).toBe(false);
    expect(p.allowsTarget(t('127.0.0.2:8080'))).toBe(false);
    expect(p.allowsTarget(t('10.20.30.40:5432'))).toBe(true);
    expect(p.allowsTarget(t('[::1]:8080'))).toBe(true);
    expect(p.allowsTarget(t('[::1]:80'))).toBe(false);
    expect(p.allowsTarget(t('[fd12::1]:5000'))).toBe(true);
    expect(p.allowsTarget(t('[2001:db8::5]:443'))).toBe(true);
    expect(p.allowsTarget(t('[2001:db8::5]:22'))).toBe(false);
    // An address entry does not allow names that resolve into it: names need a name entry.
    expect(p.allowsTarget(t('localhost:8080'))).toBe(false);
  });

  it('dials public addresses, and non-public ones only where an IP/CIDR entry covers address and port', () => {
    const p = new EgressPolicy(['localhost:*', '127.0.0.1:8080', '192.168.0.0/16:*']);
    expect(p.allowsAddress('93.184.215.14', 80)).toBe(true);
    expect(p.allowsAddress('2606:4700::1111', 443)).toBe(true);
    expect(p.allowsAddress('127.0.0.1', 8080)).toBe(true);
    expect(p.allowsAddress('127.0.0.1', 22)).toBe(false);
    expect(p.allowsAddress('::1', 8080)).toBe(false);
    expect(p.allowsAddress('192.168.1.1', 22)).toBe(true);
    for (const ip of ['10.0.0.1', '169.254.169.254', '172.16.0.1', '100.64.0.1', '0.0.0.0', 'fe80::1', '::ffff:127.0.0.1']) {
      expect(p.allowsAddress(ip, 80), ip).toBe(false);
    }
  });

  it('rejects malformed entries, naming the option', () => {
    for (const e of [
      '*',
      '*.',
      'example.org:0',
      'example.org:http',
      'example.org:',
      '10.0.0.0/33',
      '10.0.0.0/',
      '[::1',
      '[nope]:80',
      '[1.2.3.4]:80',
      'ex ample.org',
      '1.2.3.4/8/8',
    ]) {
      expect(() => new EgressPolicy([e]), e).toThrow(/egressAllow: invalid entry/);
    }
  });
});
