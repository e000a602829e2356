// Sizes and durations in the words the docker CLI uses (github.com/docker/go-units), so output
// matches byte for byte: `4.26MB`, `1e+03kB`, `2 years ago`, `About an hour`.
import { humanDuration } from '../engine/index.ts';

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** Go's `strconv.FormatFloat(x, 'g', prec, 64)`: `%.3g` gives `4.26`, `100`, `1e+03`. */
export function formatG(x: number, prec: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return '0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, expText] = Math.abs(x)
    .toExponential(Math.max(prec, 1) - 1)
    .split('e') as [string, string];
  const digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
  const exp = Number(expText);
  const nd = digits.length;
  const dp = exp + 1; // digits before the decimal point
  let eprec = prec;
  if (eprec > nd && nd >= dp) eprec = nd;
  if (exp < -4 || exp >= eprec) {
    const p = Math.min(prec, nd);
    const m = digits[0] + (p > 1 ? `.${digits.slice(1, p)}` : '');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const decimals = Math.max((prec > dp ? nd : prec) - dp, 0);
  const digitAt = (i: number) => (i >= 0 && i < nd ? digits[i] : '0');
  let int = '';
  for (let i = 0; i < Math.max(dp, 1); i++) int += dp > 0 ? digitAt(i) : '0';
  let frac = '';
  for (let i = 0; i < decimals; i++) frac += digitAt(dp + i);
  return sign + int + (frac ? `.${frac}` : '');
}

/** go-units `HumanSizeWithPrecision`: decimal units; `docker images` uses precision 3, progress 4. */
export function humanSize(bytes: number, precision = 4): string {
  return scaled(bytes, 1000, DECIMAL_UNITS, precision);
}

/** go-units `BytesSize`: binary units, as `docker service inspect --pretty` shows resources. */
export function bytesSize(bytes: number): string {
  return scaled(bytes, 1024, BINARY_UNITS, 4);
}

/** go-units `CustomSize`: `bytes` in the largest unit of `base` that keeps it at least 1. */
function scaled(bytes: number, base: number, units: readonly string[], precision: number): string {
  let size = bytes;
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return formatG(size, precision) + units[i];
}

export { humanDuration } from '../engine/index.ts';

/** `2 years ago`, for a time in seconds since the epoch. */
export function timeAgo(unixSeconds: number, nowMs = Date.now()): string {
  return `${humanDuration(nowMs / 1000 - unixSeconds)} ago`;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Go's `time.Time.String()` in UTC: `2000-01-01 00:00:00 +0000 UTC`. */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return (
    `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000 UTC`
  );
}

/** RFC 3339 in UTC, seconds precision: `2000-01-01T00:00:00Z`. */
export function rfc3339(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Docker's `RFC3339NanoFixed` in UTC, for `docker events`: `2024-05-01T10:00:00.123000000Z`. */
export function rfc3339NanoFixed(timeNano: number): string {
  // Nanoseconds since the epoch exceed a double's precision: milliseconds are what is exact.
  const ms = Math.floor(timeNano / 1e6);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String((ms % 1000) * 1e6).padStart(9, '0')}Z`;
}

/** docker's `Ellipsis`: at most `max` characters, the last one `…` when cut. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/** Go's `strconv.Quote`: a double-quoted string with Go's escapes (`docker ps` quotes commands). */
export function goQuote(s: string): string {
  const named: Record<string, string> = {
    '"': '\\"',
    '\\': '\\\\',
    '\n': '\\n',
    '\t': '\\t',
    '\r': '\\r',
    '\x07': '\\a',
    '\b': '\\b',
    '\f': '\\f',
    '\v': '\\v',
  };
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (named[ch]) out += named[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0x80 && cp < 0xa0) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
