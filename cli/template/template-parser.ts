// Go text/template syntax: scanning `{{…}}` actions, lexing them, and parsing them into a tree.
import { printValue, TemplateError } from './go-values.ts';

export type Operand =
  | { readonly t: 'field'; readonly base: 'dot' | `$${string}`; readonly path: readonly string[] }
  | { readonly t: 'lit'; readonly v: unknown }
  | { readonly t: 'fn'; readonly name: string }
  | { readonly t: 'sub'; readonly pipe: Pipeline; readonly path: readonly string[] };
export interface Pipeline {
  readonly decl: readonly string[];
  /** `$x = …` assigns an existing variable; `$x := …` declares one in the current scope. */
  readonly assign?: boolean;
  readonly cmds: readonly (readonly Operand[])[];
}
export interface Loc {
  readonly line: number;
  readonly src: string;
}
export type Node =
  | { readonly t: 'text'; readonly text: string }
  | { readonly t: 'action'; readonly pipe: Pipeline; readonly loc: Loc }
  | { readonly t: 'if' | 'with' | 'range'; readonly pipe: Pipeline; readonly loc: Loc; readonly body: Node[]; readonly alt: Node[] | undefined };

interface RawAction {
  readonly action: string;
  readonly line: number;
}

/** Splits source into text and `{{…}}` actions, applying trim markers and dropping comments. */
export function scan(src: string): (string | RawAction)[] {
  const items: (string | RawAction)[] = [];
  let pos = 0;
  let line = 1;
  let trimNext = false;
  while (pos < src.length) {
    const open = src.indexOf('{{', pos);
    let text = src.slice(pos, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      items.push(text);
      break;
    }
    let start = open + 2;
    if (/^-[ \t\r\n]/.test(src.slice(start, start + 2))) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    items.push(text);
    line += countLines(src.slice(pos, open));
    const close = findClose(src, start, line);
    let end = close;
    if (/[ \t\r\n]-$/.test(src.slice(start, close))) {
      end = close - 1;
      trimNext = true;
    }
    const action = src.slice(start, end).trim();
    if (!(action.startsWith('/*') && action.endsWith('*/'))) items.push({ action, line });
    line += countLines(src.slice(open, close + 2));
    pos = close + 2;
  }
  return items;
}

const countLines = (s: string) => s.split('\n').length - 1;

function findClose(src: string, from: number, line: number): number {
  let quote: string | undefined;
  for (let i = from; i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === '`' || c === "'") quote = c;
    else if (c === '}' && src[i + 1] === '}') return i;
  }
  throw new TemplateError(`template: :${line}: unclosed action`);
}

type Token =
  | { readonly k: 'field'; readonly path: readonly string[] }
  | { readonly k: 'var'; readonly name: string; readonly path: readonly string[] }
  | { readonly k: 'lit'; readonly v: unknown }
  | { readonly k: 'ident'; readonly name: string }
  | { readonly k: 'punct'; readonly p: '|' | '(' | ')' | ',' | ':=' | '=' }
  | { readonly k: 'chain'; readonly path: readonly string[] };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;

function lexAction(s: string, line: number): Token[] {
  const fail = (msg: string): never => {
    throw new TemplateError(`template: :${line}: ${msg}`);
  };
  const tokens: Token[] = [];
  const fieldPath = (at: number): [string[], number] => {
    const path: string[] = [];
    while (s[at] === '.') {
      const m = IDENT.exec(s.slice(at + 1));
      if (!m) break;
      path.push(m[0]);
      at += 1 + m[0].length;
    }
    return [path, at];
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    const rest = s.slice(i);
    if (/\s/.test(c)) {
      i++;
    } else if (rest.startsWith(':=')) {
      tokens.push({ k: 'punct', p: ':=' });
      i += 2;
    } else if ('|(),='.includes(c)) {
      tokens.push({ k: 'punct', p: c as '|' });
      i++;
    } else if (c === '.') {
      const prev = tokens[tokens.length - 1];
      const [path, next] = fieldPath(i);
      if (path.length === 0) {
        if (/[A-Za-z0-9_]/.test(s[i + 1] ?? '')) fail(`bad character ${JSON.stringify(s[i + 1])}`);
        tokens.push({ k: 'field', path: [] });
        i++;
      } else {
        tokens.push(prev?.k === 'punct' && prev.p === ')' && s[i - 1] === ')' ? { k: 'chain', path } : { k: 'field', path });
        i = next;
      }
    } else if (c === '$') {
      const m = /^\$[A-Za-z0-9_]*/.exec(rest)!;
      const [path, next] = fieldPath(i + m[0].length);
      tokens.push({ k: 'var', name: m[0], path });
      i = next;
    } else if (c === '"') {
      let j = i + 1;
      let out = '';
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\') {
          const e = s[++j];
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };
          if (e === 'x' || e === 'u') {
            const len = e === 'x' ? 2 : 4;
            const hex = s.slice(j + 1, j + 1 + len);
            if (hex.length < len || !/^[0-9a-fA-F]+$/.test(hex)) fail('invalid syntax');
            out += String.fromCodePoint(parseInt(hex, 16));
            j += len;
          } else if (e !== undefined && e in simple) out += simple[e];
          else fail(`unknown escape sequence`);
        } else out += s[j];
      }
      if (j >= s.length) fail('unterminated quoted string');
      tokens.push({ k: 'lit', v: out });
      i = j + 1;
    } else if (c === '`') {
      const j = s.indexOf('`', i + 1);
      if (j < 0) fail('unterminated raw quoted string');
      tokens.push({ k: 'lit', v: s.slice(i + 1, j) });
      i = j + 1;
    } else if (/[-+0-9]/.test(c)) {
      const m = /^[-+]?(0x[0-9a-fA-F]+|\d+(\.\d+)?([eE][-+]?\d+)?)/.exec(rest);
      if (!m) fail(`bad number syntax: ${JSON.stringify(rest.split(/\s/)[0])}`);
      tokens.push({ k: 'lit', v: Number(m![0]) });
      i += m![0].length;
    } else {
      const m = IDENT.exec(rest);
      if (!m) fail(`unexpected ${JSON.stringify(c)} in command`);
      const name = m![0];
      if (name === 'true' || name === 'false') tokens.push({ k: 'lit', v: name === 'true' });
      else if (name === 'nil') tokens.push({ k: 'lit', v: null });
      else tokens.push({ k: 'ident', name });
      i += name.length;
    }
  }
  return tokens;
}

/** Deepest nesting of parentheses or blocks: parsing and running recurse, and a JS stack is small (Go allows 10000). */
const MAX_DEPTH = 1000;

class ActionParser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly line: number,
    private readonly funcs: ReadonlySet<string>,
  ) {}

  fail(msg: string): never {
    throw new TemplateError(`template: :${this.line}: ${msg}`);
  }

  pipeline(allowDecl: boolean, inParens = false): Pipeline {
    const decl: string[] = [];
    let assign = false;
    const t = this.tokens;
    if (allowDecl && t[this.pos]?.k === 'var') {
      // `$x :=` or `$k, $v :=` (range), looked ahead so `$x` alone stays an operand.
      const names: string[] = [];
      let p = this.pos;
      for (let v = t[p]; v?.k === 'var' && v.path.length === 0; v = t[p]) {
        names.push(v.name);
        const next = t[p + 1];
        if (next?.k === 'punct' && next.p === ',') p += 2;
        else {
          p += 1;
          break;
        }
      }
      const op = t[p];
      if (op?.k === 'punct' && (op.p === ':=' || op.p === '=') && names.length > 0) {
        decl.push(...names);
        assign = op.p === '=';
        this.pos = p + 1;
      }
    }
    const cmds: Operand[][] = [];
    let cmd: Operand[] = [];
    for (;;) {
      const tok = t[this.pos];
      if (!tok || (tok.k === 'punct' && tok.p === ')')) {
        if (tok && !inParens) this.fail('unexpected ")" in command');
        if (!tok && inParens) this.fail('unclosed left paren');
        break;
      }
      this.pos++;
      if (tok.k === 'punct') {
        if (tok.p === '|') {
          if (cmd.length === 0) this.fail('missing command before "|"');
          cmds.push(cmd);
          cmd = [];
        } else if (tok.p === '(') {
          if (++this.depth > MAX_DEPTH) this.fail('max expression depth exceeded');
          const pipe = this.pipeline(false, true);
          this.depth--;
          this.pos++; // the ')'
          const chain = t[this.pos];
          let path: readonly string[] = [];
          if (chain?.k === 'chain') {
            path = chain.path;
            this.pos++;
          }
          cmd.push({ t: 'sub', pipe, path });
        } else this.fail(`unexpected "${tok.p}" in command`);
      } else if (tok.k === 'field') cmd.push({ t: 'field', base: 'dot', path: tok.path });
      else if (tok.k === 'var') cmd.push({ t: 'field', base: tok.name as `$${string}`, path: tok.path });
      else if (tok.k === 'lit') cmd.push({ t: 'lit', v: tok.v });
      else if (tok.k === 'ident') {
        if (!this.funcs.has(tok.name)) this.fail(`function "${tok.name}" not defined`);
        cmd.push({ t: 'fn', name: tok.name });
      } else this.fail('unexpected field chain');
    }
    if (cmd.length) cmds.push(cmd);
    if (cmds.length === 0) this.fail('missing value for command');
    for (const c of cmds) {
      if (c[0]!.t !== 'fn' && c.length > 1) this.fail(`can't give argument to non-function ${describe(c[0]!)}`);
    }
    return { decl, cmds, assign };
  }
}

export function describe(o: Operand): string {
  if (o.t === 'field') return (o.base === 'dot' ? '' : o.base) + (o.path.length ? `.${o.path.join('.')}` : o.base === 'dot' ? '.' : '');
  if (o.t === 'lit') return printValue(o.v);
  if (o.t === 'fn') return o.name;
  return '(…)';
}

export function parseNodes(items: (string | RawAction)[], funcs: ReadonlySet<string>): Node[] {
  let i = 0;
  let depth = 0;
  const parsePipe = (a: RawAction, text: string, allowDecl: boolean) => new ActionParser(lexAction(text, a.line), a.line, funcs).pipeline(allowDecl);

  // Returns the nodes up to a closing keyword, and which keyword closed them.
  const list = (inside: string | undefined): { nodes: Node[]; close: 'end' | 'else' | 'eof'; elseRest?: RawAction } => {
    const nodes: Node[] = [];
    while (i < items.length) {
      const item = items[i++]!;
      if (typeof item === 'string') {
        if (item) nodes.push({ t: 'text', text: item });
        continue;
      }
      const [word = ''] = item.action.split(/\s+/, 1);
      const rest = item.action.slice(word.length).trim();
      const fail = (msg: string): never => {
        throw new TemplateError(`template: :${item.line}: ${msg}`);
      };
      if (word === 'end') {
        if (!inside) fail('unexpected {{end}}');
        return { nodes, close: 'end' };
      }
      if (word === 'else') {
        if (!inside) fail('unexpected {{else}}');
        return { nodes, close: 'else', ...(rest ? { elseRest: { action: rest, line: item.line } } : {}) };
      }
      if (word === 'if' || word === 'with' || word === 'range') {
        nodes.push(control(word, item, rest));
        continue;
      }
      if (['define', 'template', 'block', 'break', 'continue'].includes(word)) fail(`{{${word}}} is not supported`);
      nodes.push({ t: 'action', pipe: parsePipe(item, item.action, true), loc: { line: item.line, src: item.action } });
    }
    if (inside) throw new TemplateError(`template: :${lastLine(items)}: unexpected EOF`);
    return { nodes, close: 'eof' };
  };

  const control = (word: 'if' | 'with' | 'range', item: RawAction, pipeText: string): Node => {
    if (!pipeText) throw new TemplateError(`template: :${item.line}: missing value for ${word}`);
    if (++depth > MAX_DEPTH) throw new TemplateError(`template: :${item.line}: max nesting depth exceeded`);
    const pipe = parsePipe(item, pipeText, word !== 'if');
    const body = list(word);
    let alt: Node[] | undefined;
    if (body.close === 'else') {
      if (body.elseRest) {
        // `{{else if P}}` / `{{else with P}}`: a nested control sharing this one's {{end}}.
        const [w2 = ''] = body.elseRest.action.split(/\s+/, 1);
        if (w2 !== 'if' && w2 !== 'with') throw new TemplateError(`template: :${item.line}: unexpected "${w2}" after else`);
        alt = [control(w2, body.elseRest, body.elseRest.action.slice(w2.length).trim())];
      } else {
        const tail = list(word);
        if (tail.close !== 'end') throw new TemplateError(`template: :${item.line}: expected end; found else`);
        alt = tail.nodes;
      }
    }
    depth--;
    return { t: word, pipe, loc: { line: item.line, src: `${word} ${pipeText}` }, body: body.nodes, alt };
  };

  return list(undefined).nodes;
}

function lastLine(items: (string | RawAction)[]): number {
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (typeof it !== 'string' && it) return it.line;
  }
  return 1;
}
