/**
 * `.env` and `env_file` files as Compose reads them (05-services.md, "Env_file format"): `KEY=VAL` lines,
 * an optional `export `, single quotes taken literally, double quotes with shell escapes, ` #` comments
 * after unquoted values, and interpolation of unquoted and double-quoted values.
 */
import { ComposeFileError } from './compose-errors.ts';
import { interpolateString, type Lookup } from './interpolate.ts';

const KEY = /[A-Za-z_][A-Za-z0-9_.-]*/y;
// `\$` stays a literal dollar through the interpolation that follows, hence `$$`.
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', "'": "'", $: '$$' };

/**
 * Parses one file. `${VAR}` in a value sees the variables defined earlier in the file first, then `lookup`
 * (earlier files, the environment); a bare `KEY` line takes its value from `lookup` and is dropped if unset.
 */
export function parseDotenv(text: string, lookup: Lookup = () => undefined, file = '.env'): Record<string, string> {
  const vars: Record<string, string> = {};
  const ctx = { lookup: (name: string) => (Object.hasOwn(vars, name) ? vars[name] : lookup(name)), warn: () => {} };
  let i = 0;
  let line = 1;
  const fail = (why: string): never => {
    throw new ComposeFileError(`${file}: line ${line}: ${why}`);
  };
  const skipBlanks = () => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  const endOfLine = () => {
    const eol = text.indexOf('\n', i);
    return eol < 0 ? text.length : eol;
  };
  while (i < text.length) {
    skipBlanks();
    if (text[i] === '\n' || text[i] === '\r' || text[i] === '#' || i >= text.length) {
      i = endOfLine() + 1;
      line++;
      continue;
    }
    if (text.startsWith('export ', i)) {
      i += 7;
      skipBlanks();
    }
    KEY.lastIndex = i;
    const key = KEY.exec(text)?.[0] ?? fail(`unexpected character "${text[i]}" in variable name`);
    i += key.length;
    skipBlanks();
    if (text[i] !== '=') {
      if (i < text.length && !'\r\n#'.includes(text[i]!)) fail(`unexpected character "${text[i]}" in variable name "${key}"`);
      const value = ctx.lookup(key);
      if (value !== undefined) vars[key] = value;
    } else {
      i++;
      skipBlanks();
      const quote = text[i];
      if (quote === '"' || quote === "'") {
        // A quoted value may run over several lines; what follows the closing quote is a comment.
        const close = closingQuote(text, i + 1, quote);
        if (close < 0) fail(`unterminated quoted value for ${key}`);
        const body = text.slice(i + 1, close);
        line += body.split('\n').length - 1;
        vars[key] = quote === "'" ? body.replace(/\\'/g, "'") : interpolateString(unescapeDouble(body), ctx, key);
        i = close + 1;
      } else {
        let value = text.slice(i, endOfLine()).replace(/\r$/, '');
        const comment = /\s#/.exec(value);
        if (comment) value = value.slice(0, comment.index);
        vars[key] = interpolateString(value.trimEnd(), ctx, key);
      }
    }
    i = endOfLine() + 1;
    line++;
  }
  return vars;
}

function closingQuote(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

function unescapeDouble(body: string): string {
  return body.replace(/\\(.)/gs, (all, c: string) => ESCAPES[c] ?? all);
}
