// The subset of Go's text/template that `docker … --format` users write:
//   {{.Field}} {{.A.B}} {{.}} {{$}} {{$v}} {{$v := pipeline}}
//   {{if P}}…{{else if P}}…{{else}}…{{end}}  {{range P}}…{{end}}  {{range $k, $v := P}}…{{end}}
//   {{with P}}…{{end}}  pipelines `a | b`, (parenthesised pipelines), "strings", `raw`, numbers
//   {{- trim -}} markers and {{/* comments */}}
// with docker's functions (json, join, split, upper, lower, title, pad, truncate) and Go's
// builtins (index, len, printf, print, println, eq, ne, lt, le, gt, ge, and, or, not).
// Values print like Go's fmt `%v`: arrays as `[a b]`, objects as `map[k:v]`, missing as `<no value>`.
import { alignColumns } from './table.ts';

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

type Fn = (...args: unknown[]) => unknown;

/** Marks an object as a Go struct: a missing field is an error, not `<no value>` (as for a map). */
const GO_TYPE = Symbol('goType');

/** Gives `fields` Go struct semantics in templates, with `typeName` for error messages. */
export function goStruct<T extends object>(fields: T, typeName: string): T {
  Object.defineProperty(fields, GO_TYPE, { value: typeName, enumerable: false });
  return fields;
}

// ------------------------------------------------------------------ values

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}';
  if (Array.isArray(v)) return '[]interface {}';
  if (isMap(v)) return (v as { [GO_TYPE]?: string })[GO_TYPE] ?? 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

/** Go's `fmt.Sprint(v)` for the values JSON can hold. */
function printValue(v: unknown, nested = false): string {
  if (v === undefined) return nested ? '<nil>' : '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => printValue(x, true)).join(' ')}]`;
  if (isMap(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${printValue(v[k], true)}`).join(' ')}]`;
  }
  return String(v);
}

/** Go template truth: false, 0, nil, and empty strings, arrays and maps are false. */
function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

function toStr(v: unknown): string {
  return typeof v === 'string' ? v : printValue(v);
}

/** docker's `json` template function (EscapeHTML off, no trailing newline). */
function formatJson(v: unknown): string {
  return JSON.stringify(v === undefined ? null : v) ?? 'null';
}

function sprintf(format: string, args: unknown[]): string {
  let i = 0;
  return format.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([svdqtfx%])/g, (_m, flags: string, w: string, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) return `%!${verb}(MISSING)`;
    const a = args[i++];
    let s: string;
    switch (verb) {
      case 'q':
        s = JSON.stringify(toStr(a));
        break;
      case 'd':
        s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${goTypeName(a)}=${printValue(a)})`;
        break;
      case 'f':
        s = typeof a === 'number' ? a.toFixed(prec ? Number(prec) : 6) : `%!f(${goTypeName(a)}=${printValue(a)})`;
        break;
      case 'x':
        s = typeof a === 'number' ? Math.trunc(a).toString(16) : [...new TextEncoder().encode(toStr(a))].map((b) => b.toString(16).padStart(2, '0')).join('');
        break;
      default:
        s = printValue(a);
        if (verb === 's' && prec) s = s.slice(0, Number(prec));
    }
    const width = Number(w || 0);
    return flags.includes('-') ? s.padEnd(width) : s.padStart(width, flags.includes('0') && verb !== 's' ? '0' : ' ');
  });
}

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

const FUNCS: Record<string, Fn> = {
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
const HEADER_FUNCS: Record<string, Fn> = Object.fromEntries(
  ['json', 'join', 'split', 'upper', 'lower', 'title', 'pad', 'truncate'].map((n) => [n, (v: unknown) => toStr(v)]),
);

// ------------------------------------------------------------------ syntax tree

type Operand =
  | { readonly t: 'field'; readonly base: 'dot' | `$${string}`; readonly path: readonly string[] }
  | { readonly t: 'lit'; readonly v: unknown }
  | { readonly t: 'fn'; readonly name: string }
  | { readonly t: 'sub'; readonly pipe: Pipeline; readonly path: readonly string[] };
interface Pipeline {
  readonly decl: readonly string[];
  /** `$x = …` assigns an existing variable; `$x := …` declares one in the current scope. */
  readonly assign?: boolean;
  readonly cmds: readonly (readonly Operand[])[];
}
interface Loc {
  readonly line: number;
  readonly src: string;
}
type Node =
  | { readonly t: 'text'; readonly text: string }
  | { readonly t: 'action'; readonly pipe: Pipeline; readonly loc: Loc }
  | { readonly t: 'if' | 'with' | 'range'; readonly pipe: Pipeline; readonly loc: Loc; readonly body: Node[]; readonly alt: Node[] | undefined };

interface RawAction {
  readonly action: string;
  readonly line: number;
}

/** Splits source into text and `{{…}}` actions, applying trim markers and dropping comments. */
function scan(src: string): (string | RawAction)[] {
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
            out += String.fromCodePoint(parseInt(s.slice(j + 1, j + 1 + len), 16));
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

class ActionParser {
  private pos = 0;
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
          const pipe = this.pipeline(false, true);
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

function describe(o: Operand): string {
  if (o.t === 'field') return (o.base === 'dot' ? '' : o.base) + (o.path.length ? `.${o.path.join('.')}` : o.base === 'dot' ? '.' : '');
  if (o.t === 'lit') return printValue(o.v);
  if (o.t === 'fn') return o.name;
  return '(…)';
}

function parseNodes(items: (string | RawAction)[], funcs: ReadonlySet<string>): Node[] {
  let i = 0;
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

// ------------------------------------------------------------------ execution

interface State {
  readonly funcs: Record<string, Fn>;
  readonly root: unknown;
  out: string;
}

type Vars = Map<string, unknown>[];

function lookupVar(vars: Vars, name: string): unknown {
  for (let i = vars.length - 1; i >= 0; i--) if (vars[i]!.has(name)) return vars[i]!.get(name);
  throw new Error(`undefined variable: ${name}`);
}

function fieldOf(v: unknown, name: string): unknown {
  if (v === undefined || v === null) throw new Error(`nil pointer evaluating ${goTypeName(v)}.${name}`);
  if (!isMap(v)) throw new Error(`can't evaluate field ${name} in type ${goTypeName(v)}`);
  if (Object.hasOwn(v, name)) return v[name];
  const struct = (v as { [GO_TYPE]?: string })[GO_TYPE];
  if (struct) throw new Error(`can't evaluate field ${name} in type ${struct}`);
  return undefined;
}

function evalPipe(st: State, pipe: Pipeline, dot: unknown, vars: Vars): unknown {
  let value: unknown;
  let piped = false;
  for (const cmd of pipe.cmds) {
    const head = cmd[0]!;
    if (head.t === 'fn') {
      const args = cmd.slice(1).map((o) => evalOperand(st, o, dot, vars));
      if (piped) args.push(value);
      value = st.funcs[head.name]!(...args);
    } else {
      if (piped) throw new Error(`can't give argument to non-function ${describe(head)}`);
      value = evalOperand(st, head, dot, vars);
    }
    piped = true;
  }
  const name = pipe.decl[0];
  if (pipe.decl.length === 1 && name) {
    const frame = pipe.assign ? [...vars].reverse().find((m) => m.has(name)) : vars[vars.length - 1];
    if (!frame) throw new Error(`undefined variable: ${name}`);
    frame.set(name, value);
  }
  return value;
}

function evalOperand(st: State, o: Operand, dot: unknown, vars: Vars): unknown {
  switch (o.t) {
    case 'lit':
      return o.v;
    case 'fn':
      return st.funcs[o.name]!();
    case 'sub':
      return o.path.reduce(fieldOf, evalPipe(st, o.pipe, dot, vars));
    case 'field': {
      const base = o.base === 'dot' ? dot : o.base === '$' ? st.root : lookupVar(vars, o.base);
      return o.path.reduce(fieldOf, base);
    }
  }
}

function execNodes(st: State, nodes: readonly Node[], dot: unknown, vars: Vars): void {
  for (const n of nodes) {
    if (n.t === 'text') {
      st.out += n.text;
      continue;
    }
    try {
      execNode(st, n, dot, vars);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      throw new TemplateError(`template: :${n.loc.line}: executing "" at <${n.loc.src}>: ${(e as Error).message}`);
    }
  }
}

function execNode(st: State, n: Exclude<Node, { t: 'text' }>, dot: unknown, vars: Vars): void {
  if (n.t === 'action') {
    const v = evalPipe(st, n.pipe, dot, vars);
    if (n.pipe.decl.length === 0) st.out += printValue(v);
    return;
  }
  const scope: Vars = [...vars, new Map()];
  if (n.t === 'range') {
    const v = evalPipe(st, { decl: [], cmds: n.pipe.cmds }, dot, vars);
    const entries: [unknown, unknown][] = Array.isArray(v)
      ? v.map((x, i) => [i, x])
      : isMap(v)
        ? Object.keys(v)
            .sort()
            .map((k) => [k, v[k]])
        : typeof v === 'number'
          ? Array.from({ length: Math.max(0, v) }, (_x, i) => [i, i])
          : v === undefined || v === null
            ? []
            : (() => {
                throw new Error(`range can't iterate over ${printValue(v)}`);
              })();
    if (entries.length === 0) {
      if (n.alt) execNodes(st, n.alt, dot, scope);
      return;
    }
    for (const [k, x] of entries) {
      const iter: Vars = [...vars, new Map()];
      const [a, b] = n.pipe.decl;
      if (a && b) {
        iter[iter.length - 1]!.set(a, k).set(b, x);
      } else if (a) iter[iter.length - 1]!.set(a, x);
      execNodes(st, n.body, x, iter);
    }
    return;
  }
  const v = evalPipe(st, n.pipe, dot, scope);
  if (truthy(v)) execNodes(st, n.body, n.t === 'with' ? v : dot, scope);
  else if (n.alt) execNodes(st, n.alt, dot, scope);
}

// ------------------------------------------------------------------ public API

export class Template {
  private constructor(private readonly nodes: readonly Node[]) {}

  /** Parses `src`; throws TemplateError with Go's wording on syntax errors. */
  static parse(src: string): Template {
    return new Template(parseNodes(scan(src), new Set(Object.keys(FUNCS))));
  }

  /** Runs the template over `data`; `funcs` replaces functions by name (table headers). */
  execute(data: unknown, opts: { funcs?: Record<string, Fn> } = {}): string {
    const st: State = { funcs: { ...FUNCS, ...opts.funcs }, root: data, out: '' };
    execNodes(st, this.nodes, data, [new Map()]);
    return st.out;
  }
}

/**
 * Formats a list as the docker CLI's formatter does: a `table` format prints a header row
 * (the template run over `header`, the column titles) and aligns `\t`-separated columns; any
 * other format prints the template once per item. `\t` and `\n` written literally count as
 * tab and newline, as in docker.
 */
export function formatList(format: string, items: readonly unknown[], header: Record<string, string> = {}): string {
  const table = format.startsWith('table');
  const src = (table ? format.slice('table'.length) : format).replace(/^ +| +$/g, '').replace(/\\([tn])/g, (_m, c: string) => (c === 't' ? '\t' : '\n'));
  const tmpl = Template.parse(src);
  const rows = items.map((item) => `${tmpl.execute(item)}\n`).join('');
  if (!table) return rows;
  return alignColumns(`${tmpl.execute(header, { funcs: HEADER_FUNCS })}\n${rows}`);
}
