import { describe, expect, it } from 'vitest';
import { familiarTagged, formatReference, isLoopbackRegistry, parseReference } from '../../core/oci/reference.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference (Docker normalisation)', () => {
  it.each([
    ['alpine', 'docker.io/library/alpine:latest'],
    ['alpine:3.20', 'docker.io/library/alpine:3.20'],
    ['user/app', 'docker.io/user/app:latest'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['ghcr.io/org/tool:v1', 'ghcr.io/org/tool:v1'],
    ['localhost/x', 'localhost/x:latest'],
    ['127.0.0.1:5000/ns/name:tag', '127.0.0.1:5000/ns/name:tag'],
    [`127.0.0.1:5000/ns/name:tag@${D}`, `127.0.0.1:5000/ns/name:tag@${D}`],
    [`alpine@${D}`, `docker.io/library/alpine@${D}`],
    ['a-b__c/d.e', 'docker.io/a-b__c/d.e:latest'],
  ])('%s → %s', (input, want) => {
    expect(formatReference(parseReference(input))).toBe(want);
  });

  it.each([
    ['', /empty/],
    ['a.b-c__d/e', /invalid registry/],
    ['Alpine', /lowercase/],
    ['alpine:', /invalid tag/],
    ['alpine@sha256:abc', /invalid digest/],
    ['a//b', /invalid reference/],
    ['-a', /invalid reference/],
    ['alpine:' + 't'.repeat(129), /invalid tag/],
    ['x/' + 'a'.repeat(260), /255/],
  ])('refuses %j', (input, msg) => {
    expect(() => parseReference(input)).toThrow(msg);
  });

  it('gives Docker’s familiar names', () => {
    expect(familiarTagged(parseReference('docker.io/library/alpine:3'))).toBe('alpine:3');
    expect(familiarTagged(parseReference('user/app'))).toBe('user/app:latest');
    expect(familiarTagged(parseReference('ghcr.io/a/b:1'))).toBe('ghcr.io/a/b:1');
    expect(familiarTagged(parseReference(`alpine@${D}`))).toBe(`alpine@${D}`);
    // Found by fuzzing (test/unit/fuzz/oci.test.ts): `library/a/b` is not the official image `a/b`.
    expect(familiarTagged(parseReference('library/alpine/x'))).toBe('library/alpine/x:latest');
  });

  it('treats localhost and 127.0.0.0/8 as insecure (plain http) registries', () => {
    expect(isLoopbackRegistry('localhost:5000')).toBe(true);
    expect(isLoopbackRegistry('127.3.2.1:80')).toBe(true);
    expect(isLoopbackRegistry('ghcr.io')).toBe(false);
    expect(isLoopbackRegistry('127.0.0.1.evil.com')).toBe(false);
  });
});
