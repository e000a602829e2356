/**
 * Durations (`healthcheck.interval`, `stop_grace_period`, …) as Compose prints them: Go's
 * `time.Duration` text with a trailing zero unit dropped (`90s` → `1m30s`, `60s` → `1m`, `1h0m0s` → `1h`).
 */
import { goDuration } from '../../go-duration.ts';
import { ComposeFileError } from './compose-errors.ts';

/** Reads Go's duration syntax (`1m30s`, `1.5s`, `500ms`), or a bare number of seconds as Compose does, and writes it Compose's way. */
export function normalizeDuration(value: string | number, path: string): string {
  const text = String(value).trim();
  const ns = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1e9 : goDuration(text);
  if (ns === undefined || ns < 0 || !text) throw new ComposeFileError(`${path}: invalid duration "${value}"`);
  return formatDuration(ns);
}

function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e9) {
    const [unit, size] = ns < 1e3 ? ['ns', 1] : ns < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    return `${trimNumber(ns / (size as number))}${unit}`;
  }
  const hours = Math.floor(ns / 3600e9);
  const minutes = Math.floor((ns % 3600e9) / 60e9);
  const seconds = (ns % 60e9) / 1e9;
  let text = hours ? `${hours}h${minutes}m${trimNumber(seconds)}s` : minutes ? `${minutes}m${trimNumber(seconds)}s` : `${trimNumber(seconds)}s`;
  if (text.endsWith('m0s')) text = text.slice(0, -2);
  if (text.endsWith('h0m')) text = text.slice(0, -2);
  return text;
}

const trimNumber = (n: number) => String(Number(n.toFixed(9)));
