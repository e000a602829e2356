import { describe, expect, it } from 'vitest';
import { formatG, goTimeString, humanDuration, humanSize, rfc3339, rfc3339NanoFixed, timeAgo } from '../../../cli/humanize.ts';

describe('formatG (Go %g with precision)', () => {
  it.each([
    [4.262912, 3, '4.26'],
    [1.2, 3, '1.2'],
    [100, 3, '100'],
    [10, 3, '10'],
    [999.999, 3, '1e+03'],
    [2.1523, 4, '2.152'],
    [0, 3, '0'],
    [0.00123, 3, '0.00123'],
    [0.0000123, 3, '1.23e-05'],
    [-1.5, 3, '-1.5'],
    [123456, 3, '1.23e+05'],
  ])('%d with %d digits → %s', (x, p, want) => {
    expect(formatG(x, p)).toBe(want);
  });
});

describe('humanSize (go-units, decimal)', () => {
  it('matches docker images (precision 3)', () => {
    expect(humanSize(4_262_912, 3)).toBe('4.26MB');
    expect(humanSize(1234, 3)).toBe('1.23kB');
    expect(humanSize(0, 3)).toBe('0B');
    expect(humanSize(999, 3)).toBe('999B');
    expect(humanSize(999_999, 3)).toBe('1e+03kB');
    expect(humanSize(77_800_000, 3)).toBe('77.8MB');
    expect(humanSize(1_200_000_000, 3)).toBe('1.2GB');
  });

  it('matches progress and prune output (precision 4)', () => {
    expect(humanSize(2_152_263)).toBe('2.152MB');
    expect(humanSize(1_048_576)).toBe('1.049MB');
    expect(humanSize(1_200_000)).toBe('1.2MB');
  });
});

describe('humanDuration (go-units)', () => {
  it.each([
    [0.5, 'Less than a second'],
    [1, '1 second'],
    [45, '45 seconds'],
    [60, 'About a minute'],
    [150, '2 minutes'],
    [3599, '59 minutes'],
    [3600, 'About an hour'],
    [5 * 3600, '5 hours'],
    [47 * 3600, '47 hours'],
    [3 * 86400, '3 days'],
    [20 * 86400, '2 weeks'],
    [90 * 86400, '3 months'],
    [800 * 86400, '2 years'],
  ])('%d s → %s', (s, want) => {
    expect(humanDuration(s)).toBe(want);
  });

  it('says how long ago', () => {
    const now = Date.UTC(2024, 0, 1);
    expect(timeAgo(Date.UTC(2022, 0, 1) / 1000, now)).toBe('2 years ago');
    expect(timeAgo(now / 1000 - 7200, now)).toBe('2 hours ago');
  });
});

describe('times', () => {
  it('prints Go time formats in UTC', () => {
    const t = Date.UTC(2000, 0, 2, 3, 4, 5) / 1000;
    expect(goTimeString(t)).toBe('2000-01-02 03:04:05 +0000 UTC');
    expect(rfc3339(t)).toBe('2000-01-02T03:04:05Z');
    expect(rfc3339NanoFixed((t * 1000 + 123) * 1e6)).toBe('2000-01-02T03:04:05.123000000Z');
  });
});
