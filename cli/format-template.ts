// The subset of Go's text/template that `docker … --format` users write:
//   {{.Field}} {{.A.B}} {{.}} {{$}} {{$v}} {{$v := pipeline}}
//   {{if P}}…{{else if P}}…{{else}}…{{end}}  {{range P}}…{{end}}  {{range $k, $v := P}}…{{end}}
//   {{with P}}…{{end}}  pipelines `a | b`, (parenthesised pipelines), "strings", `raw`, numbers
//   {{- trim -}} markers and {{/* comments */}}
// with docker's functions (json, join, split, upper, lower, title, pad, truncate) and Go's
// builtins (index, len, printf, print, println, eq, ne, lt, le, gt, ge, and, or, not).
// Values print like Go's fmt `%v`: arrays as `[a b]`, objects as `map[k:v]`, missing as `<no value>`.
import { alignColumns } from './table.ts';
import { GO_TYPE, goTypeName, isMap, printValue, TemplateError, truthy } from './template/go-values.ts';
import { type Fn, FUNCS, HEADER_FUNCS } from './template/template-funcs.ts';
import { describe, type Node, type Operand, type Pipeline, parseNodes, scan } from './template/template-parser.ts';

export { goStruct, TemplateError } from './template/go-values.ts';

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
