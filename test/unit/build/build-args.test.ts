// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` in a Dockerfile is the data under test, not a template.
import { describe, expect, it } from 'vitest';
import { ArgScope, platformArgs } from '../../../engine/build/dockerfile/build-args.ts';

describe('platformArgs', () => {
  it('derives TARGET* and BUILD*', () => {
    expect(platformArgs({ os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'amd64' })).toEqual({
      TARGETPLATFORM: 'linux/arm64/v8',
      TARGETOS: 'linux',
      TARGETARCH: 'arm64',
      TARGETVARIANT: 'v8',
      BUILDPLATFORM: 'linux/amd64',
      BUILDOS: 'linux',
      BUILDARCH: 'amd64',
      BUILDVARIANT: '',
    });
  });
});

describe('ArgScope', () => {
  it('applies Docker’s scoping', () => {
    const scope = new ArgScope({ V: '2', UNUSED: 'x', HTTP_PROXY: 'p' }, platformArgs({ os: 'linux', architecture: '386' }), [
      { name: 'V', default: '1' },
      { name: 'G', default: 'g-$V' },
    ]);
    expect(scope.fromLookup('G')).toBe('g-2');
    expect(scope.fromLookup('TARGETARCH')).toBe('386');
    const stage = scope.stage();
    expect(stage.lookup('G')).toBeUndefined();
    expect(stage.declare({ name: 'G' }, () => undefined)).toBe('g-2');
    expect(stage.declare({ name: 'TARGETOS' }, () => undefined)).toBe('linux');
    expect(stage.declare({ name: 'D', default: '${E}-$G' }, (n) => (n === 'E' ? 'env' : undefined))).toBe('env-g-2');
    expect(stage.lookup('D')).toBe('env-g-2');
    expect(scope.unusedWarning()).toBe('[Warning] One or more build-args [UNUSED] were not consumed');
  });
});
