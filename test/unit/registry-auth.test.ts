import { describe, expect, it } from 'vitest';
import { TokenCache } from '../../core/oci/registry-token.ts';
import { parseWwwAuthenticate } from '../../core/oci/www-authenticate.ts';
import { parseRetryAfter } from '../../engine/registry/client.ts';

describe('WWW-Authenticate', () => {
  it('parses Docker Hub’s Bearer challenge', () => {
    const [c] = parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"');
    expect(c).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' },
    });
  });

  it('keeps commas and escaped quotes inside quoted values, and reads several challenges', () => {
    const cs = parseWwwAuthenticate('Bearer realm="a,b",scope="x \\"y\\" z", error=insufficient_scope, Basic realm="r"');
    expect(cs).toHaveLength(2);
    expect(cs[0]!.params).toEqual({ realm: 'a,b', scope: 'x "y" z', error: 'insufficient_scope' });
    expect(cs[1]).toEqual({ scheme: 'basic', params: { realm: 'r' } });
  });
});

describe('TokenCache', () => {
  it('keeps a token until shortly before expiry; 60 s when the server gives none', () => {
    let now = 0;
    const c = new TokenCache(() => now);
    c.set('k', 't', 300);
    now = 289_000;
    expect(c.get('k')).toBe('t');
    now = 290_000;
    expect(c.get('k')).toBeUndefined();
    c.set('d', 'u');
    now += 49_000;
    expect(c.get('d')).toBe('u');
    now += 1_000;
    expect(c.get('d')).toBeUndefined();
  });
});

describe('Retry-After', () => {
  it('accepts seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter(new Date(Date.now() + 5_000).toUTCString())).toBeGreaterThanOrEqual(4);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
