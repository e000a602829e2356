import { describe, expect, it } from 'vitest';
import { normalizeDuration } from '../../../engine/compose/model/duration.ts';

describe('normalizeDuration', () => {
  it.each([
    ['30s', '30s'],
    ['90s', '1m30s'],
    ['1m30s', '1m30s'],
    ['60s', '1m'],
    ['3600s', '1h'],
    ['1h0m1s', '1h0m1s'],
    ['1.5s', '1.5s'],
    ['500ms', '500ms'],
    ['1500ms', '1.5s'],
    ['2h30m', '2h30m'],
    ['0s', '0s'],
    [10, '10s'],
  ] as [string | number, string][])('%s → %s', (input, expected) => {
    expect(normalizeDuration(input, 'services.web.healthcheck.interval')).toBe(expected);
  });

  it('refuses what is not a duration', () => {
    expect(() => normalizeDuration('10 sec', 'services.web.stop_grace_period')).toThrow('services.web.stop_grace_period: invalid duration "10 sec"');
    expect(() => normalizeDuration('', 'x')).toThrow('x: invalid duration ""');
  });
});
