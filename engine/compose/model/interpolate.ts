/**
 * Compose's variable interpolation (12-interpolation.md): `$VAR`, `${VAR}`, the `:-` `-` `:?` `?` `:+` `+`
 * forms, nested values, and `$$` for a literal `$`. Only values are interpolated, never mapping keys.
 */
import { ComposeFileError } from './compose-errors.ts';
import { Override } from './compose-yaml.ts';

/** Looks a variable up; undefined = unset (which differs from set to "" for `-`, `?` and `+`). */
export type Lookup = (name: string) => string | undefined;

export interface Interpolation {
  readonly lookup: Lookup;
  /** Receives Compose's warning for each variable that is unset and has no default. */
  readonly warn: (message: string) => void;
}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

/** Interpolates one string; `path` names the key in error messages (`services.web.image`). */
export function interpolateString(text: string, ctx: Interpolation, path = ''): string {
  if (!text.includes('$')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) return out + text.slice(i);
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const end = closingBrace(text, dollar + 2);
      if (end < 0) throw invalidFormat(path);
      out += braced(text.slice(dollar + 2, end), ctx, path);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(dollar + 1))?.[0];
      if (name) {
        out += plain(name, ctx);
        i = dollar + 1 + name.length;
      } else {
        // Not a variable reference: Compose keeps the `$` as it is.
        out += '$';
        i = dollar + 1;
      }
    }
  }
  return out;
}

/** Interpolates every string value in a parsed YAML tree; keys are left as written. Returns a new tree. */
export function interpolateTree(value: unknown, ctx: Interpolation, path: readonly (string | number)[] = []): unknown {
  if (typeof value === 'string') return interpolateString(value, ctx, formatPath(path));
  if (Array.isArray(value)) return value.map((item, i) => interpolateTree(item, ctx, [...path, i]));
  if (value instanceof Override) return new Override(interpolateTree(value.value, ctx, path));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateTree(v, ctx, [...path, k]);
    return out;
  }
  return value;
}

/** `services.web.ports[0]`: how key paths are named in messages. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, step) => (typeof step === 'number' ? `${acc}[${step}]` : acc ? `${acc}.${step}` : step), '');
}

/** Index of the `}` closing a `${` whose body starts at `from`, counting nested `${…}`; -1 if none. */
function closingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '$' && text[i + 1] === '$') i++;
    else if (c === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function plain(name: string, ctx: Interpolation): string {
  const value = ctx.lookup(name);
  if (value !== undefined) return value;
  ctx.warn(`The "${name}" variable is not set. Defaulting to a blank string.`);
  return '';
}

function braced(body: string, ctx: Interpolation, path: string): string {
  const name = NAME.exec(body)?.[0];
  if (!name) throw invalidFormat(path);
  if (name.length === body.length) return plain(name, ctx);
  const rest = body.slice(name.length);
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (!op) throw invalidFormat(path);
  // The word after the operator is itself interpolated, but only when it is used.
  const word = () => interpolateString(rest.slice(op.length), ctx, path);
  const value = ctx.lookup(name);
  const unsetOrEmpty = value === undefined || value === '';
  switch (op) {
    case ':-':
      return unsetOrEmpty ? word() : value;
    case '-':
      return value === undefined ? word() : value;
    case ':+':
      return unsetOrEmpty ? '' : word();
    case '+':
      return value === undefined ? '' : word();
    default: {
      if (op === ':?' ? !unsetOrEmpty : value !== undefined) return value!;
      const message = word();
      throw new ComposeFileError(`required variable ${name} is missing a value${message ? `: ${message}` : ''}`);
    }
  }
}

function invalidFormat(path: string): ComposeFileError {
  return new ComposeFileError(`invalid interpolation format for ${path || 'value'}. You may need to escape any $ with another $.`);
}
