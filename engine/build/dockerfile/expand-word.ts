import { BuildExpansionError } from './build-errors.ts';

/**
 * Docker's word expansion for instruction arguments, a port of BuildKit's shell/lex.go: `$V`,
 * `${V}`, `${V:-w}` `${V-w}` `${V:+w}` `${V+w}` `${V:?w}` `${V?w}`, `${V#p}` `${V##p}` `${V%p}`
 * `${V%%p}`, `${V/p/r}` `${V//p/r}`; single quotes literal, double quotes expand, the escape
 * character escapes, quotes are removed. Not a shell: no command substitution, no globbing.
 */

export type Lookup = (name: string) => string | undefined;

/**
 * Instructions whose arguments the builder expands. RUN/CMD/ENTRYPOINT are left to the shell;
 * an ONBUILD trigger is expanded when it runs, in the child build.
 */
export const EXPANDED_INSTRUCTIONS: ReadonlySet<string> = new Set([
  'ADD',
  'COPY',
  'ENV',
  'EXPOSE',
  'FROM',
  'LABEL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
  'ARG',
]);

/** One word: variables replaced, quotes removed, whitespace kept (ENV values, WORKDIR, USER …). */
export function expandWord(text: string, lookup: Lookup, escapeChar: '\\' | '`' = '\\'): string {
  return new Lexer(text, lookup, escapeChar, {}).run().result;
}

/** Split on unquoted whitespace after expansion (EXPOSE, VOLUME, COPY sources in shell form). */
export function expandWords(text: string, lookup: Lookup, escapeChar: '\\' | '`' = '\\'): string[] {
  return new Lexer(text, lookup, escapeChar, {}).run().words;
}

/**
 * The parser's own use of the lexer, to find heredoc words (`<<"EOF"`) in a line: nothing is
 * looked up and unset variables stay as written; `rawQuotes`/`rawEscapes` keep those characters.
 */
export function lexWords(text: string, options: { readonly rawQuotes?: boolean; readonly rawEscapes?: boolean }): string[] {
  return new Lexer(text, () => undefined, '\\', { ...options, skipUnset: true }).run().words;
}

interface LexOptions {
  readonly rawQuotes?: boolean;
  readonly rawEscapes?: boolean;
  readonly skipUnset?: boolean;
}

const EOF = '';
const isSpace = (c: string) => /^\s$/u.test(c);
const isSpecialParam = (c: string) => '@*#?-$!0'.includes(c) && c !== '';

/** Splits expanded text into words as lex.go's wordsStruct does: quoted text never splits. */
class Words {
  private buf = '';
  private inWord = false;
  readonly words: string[] = [];
  addChar(c: string): void {
    if (isSpace(c)) {
      if (this.inWord && this.buf) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else this.addRaw(c);
  }
  addRaw(s: string): void {
    this.buf += s;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const c of s) this.addChar(c);
  }
  done(): string[] {
    if (this.buf) this.words.push(this.buf);
    this.buf = '';
    return this.words;
  }
}

class Lexer {
  private readonly chars: string[];
  private pos = 0;
  /** Whether escapes are kept, as lex.go's rawEscapes: set for the whole scan or inside `${V#p}`. */
  private raw = false;
  constructor(
    private readonly source: string,
    private readonly lookup: Lookup,
    private readonly escapeChar: string,
    private readonly options: LexOptions,
  ) {
    this.chars = Array.from(source);
  }

  run(): { result: string; words: string[] } {
    try {
      return this.stopOn(EOF, this.options.rawEscapes === true);
    } catch (e) {
      if (e instanceof BuildExpansionError) throw new BuildExpansionError(`failed to process "${this.source}": ${e.message}`);
      throw e;
    }
  }

  private peek(): string {
    return this.chars[this.pos] ?? EOF;
  }
  private next(): string {
    return this.chars[this.pos++] ?? EOF;
  }

  /** Reads up to `stop` (consumed), or to the end when stop is EOF. `raw` keeps escapes (patterns). */
  private stopOn(stop: string, raw: boolean): { result: string; words: string[] } {
    const outer = this.raw;
    this.raw = raw;
    try {
      return this.scan(stop);
    } finally {
      this.raw = outer;
    }
  }

  private scan(stop: string): { result: string; words: string[] } {
    let result = '';
    const words = new Words();
    while (this.peek() !== EOF) {
      const c = this.peek();
      if (stop !== EOF && c === stop) {
        this.next();
        return { result, words: words.done() };
      }
      if (c === '$') {
        const v = this.dollar();
        result += v;
        words.addString(v);
      } else if (c === '<') {
        const v = this.possibleHeredoc();
        result += v;
        words.addRaw(v);
      } else if (c === "'" || c === '"') {
        const v = c === "'" ? this.singleQuote() : this.doubleQuote();
        result += v;
        words.addRaw(v);
      } else {
        let ch = this.next();
        if (ch === this.escapeChar) {
          if (this.raw) {
            words.addRaw(ch);
            result += ch;
          }
          ch = this.next();
          if (ch === EOF) break;
          words.addRaw(ch);
        } else words.addChar(ch);
        result += ch;
      }
    }
    if (stop !== EOF) throw new BuildExpansionError(`unexpected end of statement while looking for matching ${stop}`);
    return { result, words: words.done() };
  }

  /** Consumes the opening quote; with rawQuotes the quotes stay in the word. */
  private quoteMark(): string {
    const q = this.next();
    return this.options.rawQuotes ? q : '';
  }

  private singleQuote(): string {
    const q = this.quoteMark();
    let out = q;
    for (;;) {
      const c = this.next();
      if (c === EOF) throw new BuildExpansionError('unexpected end of statement while looking for matching single-quote');
      if (c === "'") return out + q;
      out += c;
    }
  }

  /** Inside "…" the escape character escapes only `"`, `$` and itself (as in sh). */
  private doubleQuote(): string {
    const q = this.quoteMark();
    let out = q;
    for (;;) {
      const c = this.peek();
      if (c === EOF) throw new BuildExpansionError('unexpected end of statement while looking for matching double-quote');
      if (c === '"') {
        this.next();
        return out + q;
      }
      if (c === '$') {
        out += this.dollar();
        continue;
      }
      let ch = this.next();
      if (ch === this.escapeChar) {
        if (this.raw) out += ch;
        const n = this.peek();
        if (n === EOF) continue;
        if (n === '"' || n === '$' || n === this.escapeChar) ch = this.next();
      }
      out += ch;
    }
  }

  /** `<<` passes through with the spaces after it, so `<< EOF` stays one word (heredoc detection). */
  private possibleHeredoc(): string {
    this.next();
    if (this.peek() !== '<') return '<';
    this.next();
    let out = '<<';
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === '\r') out += this.next();
    return out;
  }

  private name(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const c = this.peek();
      if (!name && /^\p{Nd}$/u.test(c)) {
        while (/^\p{Nd}$/u.test(this.peek())) name += this.next();
        return name;
      }
      if (!name && isSpecialParam(c)) return this.next();
      if (!/^[\p{L}\p{Nd}_]$/u.test(c)) break;
      name += this.next();
    }
    return name;
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.name();
      if (!name) return '$';
      return this.lookup(name) ?? (this.options.skipUnset ? `$${name}` : '');
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new BuildExpansionError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new BuildExpansionError('syntax error: bad substitution');
    const name = this.name();
    let ch = this.next();
    let mod = ch;
    if (ch === '}') return this.lookup(name) ?? (this.options.skipUnset ? `\${${name}}` : '');
    if (ch === '/') return this.replace(name);
    let nullIsUnset = false;
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      mod += ch;
    }
    if (!'+-?#%'.includes(ch) || ch === EOF) throw new BuildExpansionError(`unsupported modifier (${mod}) in substitution`);
    const trims = ch === '#' || ch === '%';
    if (nullIsUnset && trims) throw new BuildExpansionError(`unsupported modifier (${mod}) in substitution`);
    const word = this.nested('}', trims, "syntax error: missing '}'");
    const value = this.lookup(name);
    if (value === undefined && this.options.skipUnset) return `\${${name}${mod}${word}}`;
    const empty = value === undefined || (nullIsUnset && value === '');
    switch (ch) {
      case '-':
        return empty ? word : value;
      case '+':
        return empty ? '' : word;
      case '?':
        if (value === undefined) throw new BuildExpansionError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (empty) throw new BuildExpansionError(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
      default: {
        // `#`/`%` trim the shortest match, `##`/`%%` the longest.
        const greedy = word.startsWith(ch);
        const pattern = greedy ? word.slice(1) : word;
        return ch === '#' ? trimPrefix(pattern, value ?? '', greedy) : trimSuffix(pattern, value ?? '', greedy);
      }
    }
  }

  private replace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: BuildKit's message names the syntax.
    const pattern = this.nested('/', true, "syntax error: missing '/' in ${}");
    const replacement = this.nested('}', true, "syntax error: missing '}'");
    const found = this.lookup(name);
    if (found === undefined && this.options.skipUnset) return `\${${name}/${pattern}/${replacement}}`;
    const value = found ?? '';
    const re = shellPattern(pattern, true, false, all);
    return value.replace(re, () => replacement);
  }

  private nested(stop: string, raw: boolean, atEnd: string): string {
    try {
      return this.stopOn(stop, raw).result;
    } catch (e) {
      if (e instanceof BuildExpansionError && this.peek() === EOF) throw new BuildExpansionError(atEnd);
      throw e;
    }
  }
}

/** lex.go's convertShellPatternToRegex: `*` and `?` wildcards, `\` escapes them; no brackets. */
function shellPattern(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') out += greedy ? '.*' : '.*?';
    else if (c === '?') out += '.';
    else if (c === '\\') {
      const n = chars[i + 1];
      if (n === '}' || n === '/') continue;
      i++;
      if (n !== '*' && n !== '?' && n !== '\\') throw new BuildExpansionError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${n ?? ''}'`);
      out += `\\${n}`;
    } else out += c.replace(/[[\]{}.+()|^$]/, '\\$&');
  }
  return new RegExp(out, global ? 'gsu' : 'su');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = shellPattern(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** The shortest rightmost match, found as a leftmost one on the reversed pattern and value. */
function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const p = Array.from(pattern);
  const reversed: string[] = [];
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\' && i + 1 < p.length) {
      reversed.unshift('\\', p[i + 1]!);
      i++;
    } else reversed.unshift(p[i]!);
  }
  const rev = (s: string) => Array.from(s).reverse().join('');
  return rev(trimPrefix(reversed.join(''), rev(value), greedy));
}
