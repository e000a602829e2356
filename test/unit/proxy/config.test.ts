// Configuration (environment + JSON file) and the address policy's rules.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AddressPolicy } from '../../../proxy/address-policy.ts';
import { DEFAULT_ALLOW, loadProxyConfig } from '../../../proxy/config.ts';
import { RegistryAllowlist } from '../../../proxy/registry-allowlist.ts';
import { upstreamOrigin } from '../../../proxy/registry-host.ts';
import { cleanup, tempDir } from '../../support/proxy-helpers.ts';

afterAll(cleanup);

describe('loadProxyConfig', () => {
  it('has safe defaults', () => {
    const c = loadProxyConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 5080,
      allow: DEFAULT_ALLOW,
      pushAllow: [],
      allowPrivate: [],
      egressAllow: [],
      fetchMaxBytes: 512 * 1024 ** 2,
      cacheDir: '.cache/proxy',
      tagTtlSeconds: 60,
      manifestMaxBytes: 4 * 1024 * 1024,
      corsOrigin: '*',
      credentials: {},
    });
    expect(DEFAULT_ALLOW).toEqual(['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io']);
    expect(typeof c.log).toBe('function');
  });

  it('reads PROXY_* variables', () => {
    const c = loadProxyConfig({
      PROXY_HOST: '0.0.0.0',
      PROXY_PORT: '8080',
      PROXY_ALLOW: 'docker.io, registry.internal:5000 ,',
      PROXY_PUSH_ALLOW: ' registry.internal:5000,localhost:*,',
      PROXY_ALLOW_PRIVATE: 'loopback,10.0.0.0/8',
      PROXY_EGRESS_ALLOW: 'example.org, *.debian.org:80,127.0.0.1:8080 ,',
      PROXY_FETCH_MAX_BYTES: '64M',
      PROXY_CACHE_DIR: '/var/cache/proxy',
      PROXY_CACHE_MAX_BYTES: '20G',
      PROXY_TAG_TTL_SECONDS: '300',
      PROXY_MANIFEST_MAX_BYTES: '1M',
      PROXY_UPSTREAM_TIMEOUT_MS: '5000',
      PROXY_CORS_ORIGIN: 'https://demo.example',
      PROXY_LOG: 'off',
    });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      allow: ['docker.io', 'registry.internal:5000'],
      pushAllow: ['registry.internal:5000', 'localhost:*'],
      allowPrivate: ['loopback', '10.0.0.0/8'],
      egressAllow: ['example.org', '*.debian.org:80', '127.0.0.1:8080'],
      fetchMaxBytes: 64 * 1024 ** 2,
      cacheDir: '/var/cache/proxy',
      cacheMaxBytes: 20 * 1024 ** 3,
      tagTtlSeconds: 300,
      manifestMaxBytes: 1024 ** 2,
      upstreamTimeoutMs: 5000,
      corsOrigin: 'https://demo.example',
      log: null,
    });
    expect(loadProxyConfig({ PROXY_ALLOW_PRIVATE: 'true' }).allowPrivate).toEqual(['all']);
    expect(loadProxyConfig({ PROXY_ALLOW_PRIVATE: '0' }).allowPrivate).toEqual([]);
    expect(loadProxyConfig({ PROXY_CACHE_MAX_BYTES: '1.5GiB' }).cacheMaxBytes).toBe(1.5 * 1024 ** 3);
    expect(loadProxyConfig({ PROXY_EGRESS_ALLOW: '' }).egressAllow).toEqual([]);
    expect(loadProxyConfig({ PROXY_PUSH_ALLOW: '' }).pushAllow).toEqual([]);
  });

  it('rejects malformed values with the variable name', () => {
    expect(() => loadProxyConfig({ PROXY_PORT: 'eighty' })).toThrow(/PROXY_PORT/);
    expect(() => loadProxyConfig({ PROXY_PORT: '70000' })).toThrow(/PROXY_PORT/);
    expect(() => loadProxyConfig({ PROXY_CACHE_MAX_BYTES: '10 lots' })).toThrow(/PROXY_CACHE_MAX_BYTES/);
    expect(() => loadProxyConfig({ PROXY_FETCH_MAX_BYTES: 'a lot' })).toThrow(/PROXY_FETCH_MAX_BYTES/);
  });

  it('reads credentials and options from the JSON file; the environment wins over the file', async () => {
    const file = path.join(await tempDir(), 'proxy.json');
    await writeFile(
      file,
      JSON.stringify({
        allow: ['docker.io', 'ghcr.io'],
        pushAllow: ['ghcr.io'],
        egressAllow: ['deb.debian.org', '10.0.0.0/8:*'],
        fetchMaxBytes: 1024,
        tagTtlSeconds: 30,
        credentials: {
          'Docker.io': { username: 'svc', passwordEnv: 'HUB_TOKEN' },
          'ghcr.io': { username: 'bot', password: 'ghp_x' },
        },
      }),
    );
    const c = loadProxyConfig({ PROXY_CONFIG: file, HUB_TOKEN: 'dckr_pat_y', PROXY_TAG_TTL_SECONDS: '10' });
    expect(c.allow).toEqual(['docker.io', 'ghcr.io']);
    expect(c.pushAllow).toEqual(['ghcr.io']);
    expect(loadProxyConfig({ PROXY_CONFIG: file, HUB_TOKEN: 'x', PROXY_PUSH_ALLOW: '' }).pushAllow).toEqual([]);
    expect(c.egressAllow).toEqual(['deb.debian.org', '10.0.0.0/8:*']);
    expect(c.fetchMaxBytes).toBe(1024);
    expect(loadProxyConfig({ PROXY_CONFIG: file, HUB_TOKEN: 'x', PROXY_EGRESS_ALLOW: 'example.org' }).egressAllow).toEqual(['example.org']);
    expect(c.tagTtlSeconds).toBe(10);
    expect(c.credentials).toEqual({
      'docker.io': { username: 'svc', password: 'dckr_pat_y' },
      'ghcr.io': { username: 'bot', password: 'ghp_x' },
    });
    // An explicit file argument is used instead of $PROXY_CONFIG.
    expect(loadProxyConfig({ PROXY_CONFIG: '/nonexistent.json', HUB_TOKEN: 'z' }, file).credentials['docker.io']!.password).toBe('z');
  });

  it('rejects a config file with unknown keys, wrong types or missing secrets', async () => {
    const dir = await tempDir();
    const write = async (name: string, body: unknown) => {
      const f = path.join(dir, name);
      await writeFile(f, JSON.stringify(body));
      return f;
    };
    expect(() => loadProxyConfig({}, path.join(dir, 'missing.json'))).toThrow(/missing\.json/);
    expect(() => loadProxyConfig({}, '')).not.toThrow();
    const unknown = await write('unknown.json', { allowAll: true });
    expect(() => loadProxyConfig({}, unknown)).toThrow(/"allowAll" is not a known option/);
    const wrongType = await write('type.json', { port: '80' });
    expect(() => loadProxyConfig({}, wrongType)).toThrow(/"port" must be/);
    const egressString = await write('egress.json', { egressAllow: 'example.org' });
    expect(() => loadProxyConfig({}, egressString)).toThrow(/"egressAllow" must be a list of strings/);
    const pushString = await write('push.json', { pushAllow: 'ghcr.io' });
    expect(() => loadProxyConfig({}, pushString)).toThrow(/"pushAllow" must be a list of strings/);
    const fetchSize = await write('fetch.json', { fetchMaxBytes: '1G' });
    expect(() => loadProxyConfig({}, fetchSize)).toThrow(/"fetchMaxBytes" must be a non-negative integer/);
    const noSecret = await write('secret.json', { credentials: { 'docker.io': { username: 'svc', passwordEnv: 'UNSET' } } });
    expect(() => loadProxyConfig({}, noSecret)).toThrow(/docker\.io needs a "password"/);
  });
});

describe('RegistryAllowlist (allow, pushAllow)', () => {
  it('is empty by default: no registry takes pushes', () => {
    const none = new RegistryAllowlist(loadProxyConfig({}).pushAllow);
    for (const r of ['docker.io', 'ghcr.io', '127.0.0.1:5000', 'localhost:5000']) expect(none.has(r), r).toBe(false);
  });

  it('takes the same entries as allow, and refuses a malformed range', () => {
    const push = new RegistryAllowlist(loadProxyConfig({ PROXY_PUSH_ALLOW: 'Ghcr.io, localhost:*, 127.0.0.0/8, ::1/128' }).pushAllow);
    expect(push.has('ghcr.io')).toBe(true);
    expect(push.has('GHCR.io')).toBe(true);
    expect(push.has('ghcr.io:443')).toBe(false);
    expect(push.has('docker.io')).toBe(false);
    expect(push.has('localhost:5000')).toBe(true);
    expect(push.has('127.0.0.1:5000')).toBe(true);
    expect(push.has('[::1]:5000')).toBe(true);
    expect(push.has('10.0.0.1:5000')).toBe(false);
    expect(() => new RegistryAllowlist(['10.0.0.0/40'])).toThrow(/invalid address or range "10.0.0.0\/40"/);
  });
});

describe('AddressPolicy', () => {
  it('matches registries exactly, by host:* or by address range', () => {
    const p = new AddressPolicy(['docker.io', 'Registry.Internal:5000', 'localhost:*', '127.0.0.0/8', '[::1]:*'], []);
    expect(p.isAllowedRegistry('docker.io')).toBe(true);
    expect(p.isAllowedRegistry('docker.io:443')).toBe(false);
    expect(p.isAllowedRegistry('evil-docker.io')).toBe(false);
    expect(p.isAllowedRegistry('registry.internal:5000')).toBe(true);
    expect(p.isAllowedRegistry('registry.internal:5001')).toBe(false);
    expect(p.isAllowedRegistry('localhost:1234')).toBe(true);
    expect(p.isAllowedRegistry('localhost')).toBe(true);
    expect(p.isAllowedRegistry('127.9.9.9:80')).toBe(true);
    expect(p.isAllowedRegistry('128.0.0.1:80')).toBe(false);
    expect(p.isAllowedRegistry('[::1]:5000')).toBe(true);
  });

  it('refuses non-public addresses unless allowed', () => {
    const strict = new AddressPolicy([], []);
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      '224.0.0.1',
    ]) {
      expect(strict.isAddressAllowed(ip), ip).toBe(false);
    }
    for (const ip of ['8.8.8.8', '104.16.0.1', '2606:4700::1111']) expect(strict.isAddressAllowed(ip), ip).toBe(true);

    const loopback = new AddressPolicy([], ['loopback']);
    expect(loopback.isAddressAllowed('127.0.0.1')).toBe(true);
    expect(loopback.isAddressAllowed('::1')).toBe(true);
    expect(loopback.isAddressAllowed('10.0.0.1')).toBe(false);
    const lan = new AddressPolicy([], ['10.0.0.0/8', '192.168.1.7']);
    expect(lan.isAddressAllowed('10.20.30.40')).toBe(true);
    expect(lan.isAddressAllowed('192.168.1.7')).toBe(true);
    expect(lan.isAddressAllowed('192.168.1.8')).toBe(false);
    expect(new AddressPolicy([], ['all']).isAddressAllowed('169.254.169.254')).toBe(true);
    expect(() => new AddressPolicy([], ['10.0.0.0/33'])).toThrow(/invalid address or range/);
  });

  it('checks what a name resolves to, at lookup time', async () => {
    const p = new AddressPolicy([], []);
    const err = await new Promise<Error | null>((resolve) => p.lookup('localhost', {}, (e) => resolve(e)));
    expect(err?.message).toMatch(/localhost resolves to a non-public address/);
    const allowed = new AddressPolicy([], ['loopback']);
    const addr = await new Promise<string>((resolve, reject) => allowed.lookup('localhost', {}, (e, a) => (e ? reject(e) : resolve(a as string))));
    expect(['127.0.0.1', '::1']).toContain(addr);
  });
});

describe('upstreamOrigin', () => {
  it('maps docker.io to registry-1.docker.io and uses http only for loopback', () => {
    expect(upstreamOrigin('docker.io')).toBe('https://registry-1.docker.io');
    expect(upstreamOrigin('ghcr.io')).toBe('https://ghcr.io');
    expect(upstreamOrigin('registry.internal:5000')).toBe('https://registry.internal:5000');
    expect(upstreamOrigin('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(upstreamOrigin('localhost:5000')).toBe('http://localhost:5000');
    expect(upstreamOrigin('[::1]:5000')).toBe('http://[::1]:5000');
  });
});
