// CRuby's WASI build on npm (@ruby/*-wasm-wasi) is a reactor made for its JS wrapper, not a
// command: it exports `ruby-init`, `rb-eval-string-protect` … and imports a JS interop ABI. This
// drives it the way the `ruby` command line would, so a `ruby` image runs like any WASI image.

const INIT = 'ruby-init: func(args: list<string>) -> ()';
const LOADPATH = 'ruby-init-loadpath: func() -> ()';
const EVAL = 'rb-eval-string-protect: func(str: string) -> tuple<handle<rb-abi-value>, s32>';
/** The interop modules the reactor imports; only `require 'js'` would use them. */
const INTEROP = new Set(['rb-js-abi-host', 'canonical_abi']);

export function isRubyReactor(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.exports(module).some((e) => e.name === INIT);
}

/** Imports of a Ruby reactor that this runtime answers itself (the rest must be WASI's). */
export function isRubyInteropImport(i: WebAssembly.ModuleImportDescriptor): boolean {
  return INTEROP.has(i.module) && i.kind === 'function';
}

/**
 * The interop imports: resource handles are counted (Ruby values the eval returns), anything
 * that would call into JavaScript fails as Ruby sees an unavailable `js` library.
 */
export function rubyInteropImports(module: WebAssembly.Module): Record<string, Record<string, (...a: number[]) => number>> {
  const out: Record<string, Record<string, (...a: number[]) => number>> = {};
  let handles = 0;
  for (const i of WebAssembly.Module.imports(module)) {
    if (!isRubyInteropImport(i)) continue;
    const table = (out[i.module] ??= {});
    if (i.name.startsWith('resource_new_')) table[i.name] = () => ++handles;
    else if (i.name.startsWith('resource_drop_') || i.name.startsWith('resource_get_')) table[i.name] = () => 0;
    else {
      table[i.name] = () => {
        throw new Error(`${i.module}.${i.name}: JavaScript interop is not available inside a container`);
      };
    }
  }
  return out;
}

/** The `ruby` command line, as far as a script runner needs: `-e`, `-I`, `-r`, `-v`, a script, its args. */
function rubyProgram(argv: readonly string[]): string {
  const code: string[] = [];
  const includes: string[] = [];
  const requires: string[] = [];
  let version = false;
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-e') code.push(argv[++i] ?? '');
    else if (a.startsWith('-e')) code.push(a.slice(2));
    else if (a === '-I') includes.push(argv[++i] ?? '');
    else if (a.startsWith('-I')) includes.push(a.slice(2));
    else if (a === '-r') requires.push(argv[++i] ?? '');
    else if (a.startsWith('-r')) requires.push(a.slice(2));
    else if (a === '-v' || a === '--version') version = true;
    else if (a === '--') {
      i++;
      break;
    } else if (a.startsWith('-') && a !== '-')
      continue; // -w, -W, -EUTF-8 …: no effect here
    else break;
  }
  const rest = argv.slice(i);
  const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
  const str = (s: string) => `"${b64(s)}".unpack1("m").force_encoding("UTF-8")`;
  let script: string;
  let name: string;
  let args: readonly string[];
  if (code.length) {
    script = `eval(${str(code.join('\n'))}, TOPLEVEL_BINDING, "-e", 1)`;
    name = '-e';
    args = rest;
  } else if (rest.length && rest[0] !== '-') {
    script = `load(${str(rest[0]!)})`;
    name = rest[0]!;
    args = rest.slice(1);
  } else {
    script = version ? '' : 'eval($stdin.read, TOPLEVEL_BINDING, "-", 1)';
    name = '-';
    args = rest.slice(rest[0] === '-' ? 1 : 0);
  }
  // Ruby's own exit path (at_exit, flushing) ends in _exit → WASI proc_exit: the process status.
  return [
    `$0 = ${str(name)}`,
    `ARGV.replace([${args.map(str).join(', ')}])`,
    ...includes.map((d) => `$LOAD_PATH.unshift(${str(d)})`),
    'status = 0',
    'begin',
    ...(version ? ['puts RUBY_DESCRIPTION'] : []),
    ...requires.map((r) => `  require ${str(r)}`),
    `  ${script}`,
    'rescue SystemExit => e',
    '  status = e.status',
    'rescue Exception => e',
    '  $stderr.print e.full_message(highlight: false)',
    '  status = 1',
    'end',
    '$stdout.flush',
    '$stderr.flush',
    'Process.exit!(status)',
  ].join('\n');
}

type Export = (...a: number[]) => unknown;
/** Calls an export; with JSPI through `promising`, so the WASI calls it makes may wait. */
export type Caller = (f: Export, ...args: number[]) => Promise<unknown>;

/** Boots the VM and runs `argv` as `ruby` would; ends by throwing the process exit. */
export async function runRuby(instance: WebAssembly.Instance, argv: readonly string[], call: Caller): Promise<void> {
  const ex = instance.exports as Record<string, unknown>;
  const memory = ex.memory as WebAssembly.Memory;
  const realloc = ex.cabi_realloc as (old: number, oldSize: number, align: number, size: number) => number;
  const enc = new TextEncoder();
  /** A canonical-ABI string: bytes (NUL-terminated: the C side also reads them as C strings). */
  const lower = (s: string): [number, number] => {
    const b = enc.encode(s);
    const p = realloc(0, 0, 1, b.length + 1);
    const m = new Uint8Array(memory.buffer, p, b.length + 1);
    m.set(b);
    m[b.length] = 0;
    return [p, b.length];
  };
  await call(ex._initialize as Export);
  // `-e_=0`: ruby_options needs a program; the real one is evaluated below.
  const args = ['ruby', '-EUTF-8', '-e_=0'].map(lower);
  const list = realloc(0, 0, 4, args.length * 8);
  const view = new DataView(memory.buffer);
  args.forEach(([p, n], k) => {
    view.setUint32(list + k * 8, p, true);
    view.setUint32(list + k * 8 + 4, n, true);
  });
  await call(ex[INIT] as Export, list, args.length);
  await call(ex[LOADPATH] as Export);
  const [p, n] = lower(rubyProgram(argv));
  await call(ex[EVAL] as Export, p, n);
}
