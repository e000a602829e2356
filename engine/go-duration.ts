import { InvalidParameterError } from '../core/errors.ts';

const GO_DURATION = /^([-+]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+)$/;
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * Go's `time.ParseDuration` (`1m30s`, `500ms`, `-2h`), in nanoseconds; undefined when `s` is not
 * a duration. The docker CLI's `--since` and `--health-interval` and Compose's durations use it.
 */
export function goDuration(s: string): number | undefined {
  if (s === '0') return 0;
  const m = GO_DURATION.exec(s);
  if (!m) return undefined;
  let ns = 0;
  for (const [, n, unit] of m[2]!.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) ns += Number(n) * UNIT_NS[unit!]!;
  return m[1] === '-' ? -Math.round(ns) : Math.round(ns);
}

/** goDuration, or Go's error for what is not a duration. */
export function parseGoDuration(text: string): number {
  const ns = goDuration(text.trim());
  if (ns === undefined) throw new InvalidParameterError(`time: invalid duration "${text}"`);
  return ns;
}
