// The functions a template may call: docker's (json, join, …) and Go's builtins (index, len, printf, eq, …).
import { formatJson, goTypeName, isMap, printValue, sprintf, toStr, truthy } from './go-values.ts';

export type Fn = (...args: unknown[]) => unknown;

/** Index of the first arg matching `test`, else the last (Go's and/or return that argument). */
function firstIndex(args: unknown[], test: (a: unknown) => boolean): number {
  const i = args.findIndex(test);
  return i < 0 ? args.length - 1 : i;
}

function compare(name: string, a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new Error(`error calling ${name}: incompatible types for comparison`);
}

function basicEq(a: unknown, b: unknown): boolean {
  if (typeof a === 'object' && a !== null) throw new Error('error calling eq: non-comparable type');
  return a === b || (a === undefined && b === null) || (a === null && b === undefined);
}

export const FUNCS: Record<string, Fn> = {
  json: (v) => formatJson(v),
  join: (v, sep) => (Array.isArray(v) ? v.map(toStr).join(toStr(sep)) : toStr(v)),
  split: (s, sep) => toStr(s).split(toStr(sep)),
  upper: (s) => toStr(s).toUpperCase(),
  lower: (s) => toStr(s).toLowerCase(),
  title: (s) => toStr(s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase()),
  pad: (s, left, right) => ' '.repeat(Number(left) || 0) + toStr(s) + ' '.repeat(Number(right) || 0),
  truncate: (s, n) => [...toStr(s)].slice(0, Number(n)).join(''),
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (Array.isArray(cur) || typeof cur === 'string') {
        const i = Number(k);
        if (!Number.isInteger(i) || i < 0 || i >= cur.length) throw new Error(`error calling index: index out of range: ${printValue(k)}`);
        cur = cur[i];
      } else if (isMap(cur)) {
        // Go returns the element type's zero value for a missing key: "" for string maps (labels).
        const own = Object.hasOwn(cur, toStr(k));
        cur = own ? cur[toStr(k)] : Object.values(cur).every((x) => typeof x === 'string') ? '' : null;
      } else {
        throw new Error(`error calling index: can't index item of type ${goTypeName(cur)}`);
      }
    }
    return cur;
  },
  len: (v) => {
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (isMap(v)) return Object.keys(v).length;
    throw new Error(`error calling len: len of type ${goTypeName(v)}`);
  },
  printf: (f, ...args) => sprintf(toStr(f), args),
  // fmt.Sprint adds a space between operands when neither is a string.
  print: (...args) => args.map((a, i) => (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string' ? ' ' : '') + printValue(a)).join(''),
  println: (...args) => `${args.map((a) => printValue(a)).join(' ')}\n`,
  eq: (a, ...bs) => bs.some((b) => basicEq(a, b)),
  ne: (a, b) => !basicEq(a, b),
  lt: (a, b) => compare('lt', a, b) < 0,
  le: (a, b) => compare('le', a, b) <= 0,
  gt: (a, b) => compare('gt', a, b) > 0,
  ge: (a, b) => compare('ge', a, b) >= 0,
  and: (...args) => args[firstIndex(args, (a) => !truthy(a))],
  or: (...args) => args[firstIndex(args, truthy)],
  not: (a) => !truthy(a),
};

/** docker's header functions: a table header is the template run over the column titles. */
export const HEADER_FUNCS: Record<string, Fn> = Object.fromEntries(
  ['json', 'join', 'split', 'upper', 'lower', 'title', 'pad', 'truncate'].map((n) => [n, (v: unknown) => toStr(v)]),
);
