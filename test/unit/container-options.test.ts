import { describe, expect, it } from 'vitest';
import { mergeEnv } from '../../engine/containers/container-env.ts';
import { statusText } from '../../engine/containers/container-listing.ts';
import { parseMemory, parseMountSpec, parseRestartPolicy, parseVolumeSpec } from '../../engine/containers/create-options.ts';
import { nextDelay, shouldRestart } from '../../engine/containers/restart-policy.ts';
import { parseSignal } from '../../engine/containers/signals.ts';

const anon = () => 'anon';

describe('docker run options', () => {
  it('parses restart policies as Docker does', () => {
    expect(parseRestartPolicy(undefined)).toEqual({ Name: 'no', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('on-failure:3')).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
    expect(parseRestartPolicy('unless-stopped')).toEqual({ Name: 'unless-stopped', MaximumRetryCount: 0 });
    expect(() => parseRestartPolicy('always:2')).toThrow(/only be used with 'on-failure'/);
    expect(() => parseRestartPolicy('sometimes')).toThrow(/unknown policy/);
  });

  it('parses memory sizes in binary units, with Docker’s 6 MB floor', () => {
    expect(parseMemory('64m')).toBe(64 * 1024 * 1024);
    expect(parseMemory('1g')).toBe(1024 ** 3);
    expect(parseMemory(undefined)).toBe(0);
    expect(() => parseMemory('1m')).toThrow(/Minimum memory limit/);
    expect(() => parseMemory('lots')).toThrow(/invalid size/);
  });

  it('parses -v and --mount, refusing bind mounts with a clear message', () => {
    expect(parseVolumeSpec('data:/var/data:ro', anon)).toEqual({
      mount: { Type: 'volume', Name: 'data', Destination: '/var/data', RW: false },
      create: { name: 'data', anonymous: false },
    });
    expect(parseVolumeSpec('/cache', anon).create).toEqual({ name: 'anon', anonymous: true });
    expect(() => parseVolumeSpec('/host/dir:/data', anon)).toThrow(/bind mounts are not supported/);
    expect(parseMountSpec('type=tmpfs,target=/tmp', anon).mount).toEqual({ Type: 'tmpfs', Name: '', Destination: '/tmp', RW: true });
    expect(parseMountSpec('type=volume,source=v,target=/v,readonly', anon).mount.RW).toBe(false);
    expect(() => parseMountSpec('type=bind,source=/x,target=/y', anon)).toThrow(/bind mounts/);
  });

  it('merges env: later keys win', () => {
    expect(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4'])).toEqual(['A=1', 'B=3', 'C=4']);
  });

  it('maps signal names and numbers', () => {
    expect(parseSignal('SIGTERM')).toBe(15);
    expect(parseSignal('kill')).toBe(9);
    expect(parseSignal('2')).toBe(2);
    expect(() => parseSignal('SIGNOPE')).toThrow(/Invalid signal/);
  });
});

describe('restart policies', () => {
  it('decides like Docker’s restart manager', () => {
    const p = (Name: 'no' | 'on-failure' | 'always' | 'unless-stopped', MaximumRetryCount = 0) => ({ Name, MaximumRetryCount });
    expect(shouldRestart(p('always'), 0, 5, false)).toBe(true);
    expect(shouldRestart(p('always'), 0, 0, true)).toBe(false);
    expect(shouldRestart(p('on-failure'), 0, 0, false)).toBe(false);
    expect(shouldRestart(p('on-failure', 2), 1, 1, false)).toBe(true);
    expect(shouldRestart(p('on-failure', 2), 1, 2, false)).toBe(false);
    expect(shouldRestart(p('no'), 137, 0, false)).toBe(false);
  });

  it('backs off from 100 ms, doubling to a minute, and starts over after 10 s of uptime', () => {
    expect(nextDelay(0, 0)).toBe(100);
    expect(nextDelay(100, 50)).toBe(200);
    expect(nextDelay(40_000, 50)).toBe(60_000);
    expect(nextDelay(60_000, 50)).toBe(60_000);
    expect(nextDelay(3200, 10_000)).toBe(100);
  });

  it('words a container’s status as docker ps does (durations truncated, as go-units)', () => {
    const at = (ms: number) => new Date(1_000_000 + ms).toISOString();
    const rec = (Status: 'running' | 'exited', extra: object) =>
      ({ State: { Status, StartedAt: at(0), FinishedAt: at(0), ExitCode: 3, ...extra } }) as Parameters<typeof statusText>[0];
    expect(statusText(rec('running', {}), 1_000_000 + 1_900)).toBe('Up 1 second');
    expect(statusText(rec('exited', {}), 1_000_000 + 119_000)).toBe('Exited (3) About a minute ago');
    expect(statusText(rec('exited', { FinishedAt: '0001-01-01T00:00:00Z' }))).toBe('Created');
  });
});
