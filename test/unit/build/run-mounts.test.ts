// RUN --mount's fields as BuildKit reads them: cache (id defaults to the target) and tmpfs are
// run; bind (the default type), secret and ssh are refused by name; a bad field is an error.
import { describe, expect, it } from 'vitest';
import { parseRunMount } from '../../../engine/build/dockerfile/run-mounts.ts';

describe('parseRunMount', () => {
  it('reads cache and tmpfs mounts', () => {
    expect(parseRunMount('type=cache,target=/root/.cache')).toEqual({ type: 'cache', target: '/root/.cache', id: '/root/.cache', readOnly: false });
    expect(parseRunMount('type=cache,dst=/c,id=go,sharing=locked,ro')).toEqual({ type: 'cache', target: '/c', id: 'go', readOnly: true });
    expect(parseRunMount('type=tmpfs,destination=/t,size=64m')).toEqual({ type: 'tmpfs', target: '/t' });
  });
  it('refuses what it cannot run, and bad fields', () => {
    expect(() => parseRunMount('target=/src')).toThrow('RUN --mount=type=bind is not supported by the browser builder');
    expect(() => parseRunMount('type=secret,id=token')).toThrow('RUN --mount=type=secret is not supported');
    expect(() => parseRunMount('type=cache')).toThrow('mount target is required');
    expect(() => parseRunMount('type=cache,target=/c,colour=red')).toThrow("unexpected key 'colour' in 'colour=red'");
    expect(() => parseRunMount('type=volume,target=/v')).toThrow('unsupported mount type "volume"');
  });
});
