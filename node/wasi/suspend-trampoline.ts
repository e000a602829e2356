// Under JSPI an import may suspend the module only when it is wrapped in WebAssembly.Suspending,
// and V8 charges that wrapper on every call, even one that returns at once (118 ns per call in
// Chromium 150, against 22.5 ns through this trampoline and 16.5 ns for a plain import). Almost
// every syscall returns at once (a read of a file already in memory, the close of a file opened
// to read), yet any may have to wait (for file data, or while the process is paused), so each
// goes through a tiny generated module instead: it calls the plain function, and only when that
// answers "would wait" calls the one Suspending import, which awaits the promise the plain call
// left pending.

/** Value types of a syscall's parameters: wasm's i32 and i64. */
export type ParamType = 'i32' | 'i64';

/** A syscall's wasm type: its parameters, and an errno result (every preview1 call but proc_exit has one). */
export interface Signature {
  readonly params: readonly ParamType[];
  readonly errno: boolean;
}

/** A syscall that may wait: a number now, or a promise of one. */
export type MayWait = (...args: (number | bigint)[]) => number | Promise<number>;

/** What a plain call answers when it started something it must wait for; no errno is negative. */
const WOULD_WAIT = -1;

const I32 = 0x7f;
const I64 = 0x7e;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

const bytes = (s: string): number[] => [...uleb(s.length), ...new TextEncoder().encode(s)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/**
 * The module: for each name, imports `fast.<name>` (plain, always answering an i32) and exports
 * `<name>`, which calls it and, on WOULD_WAIT, calls `wait.result` (Suspending) for the answer.
 * Types: each name's plain type (i32 result), its exported type, then `() → i32` for the wait.
 */
function trampolineModule(sigs: readonly Signature[], names: readonly string[]): Uint8Array<ArrayBuffer> {
  const params = (s: Signature) => vec(s.params.map((t) => [t === 'i64' ? I64 : I32]));
  const types = [...sigs.map((s) => [0x60, ...params(s), 1, I32]), ...sigs.map((s) => [0x60, ...params(s), ...(s.errno ? [1, I32] : [0])]), [0x60, 0, 1, I32]];
  const waitType = 2 * sigs.length;
  const imports = [...names.map((n, i) => [...bytes('fast'), ...bytes(n), 0x00, ...uleb(i)]), [...bytes('wait'), ...bytes('result'), 0x00, ...uleb(waitType)]];
  const waitFn = names.length;
  const own = (i: number) => names.length + 1 + i;
  const exports = names.map((n, i) => [...bytes(n), 0x00, ...uleb(own(i))]);
  const bodies = sigs.map((s, i) => {
    const r = s.params.length; // the local after the parameters
    const code = [
      ...s.params.flatMap((_, k) => [0x20, ...uleb(k)]), // local.get k
      0x10,
      ...uleb(i), // call fast
      0x22,
      ...uleb(r), // local.tee r
      0x41,
      0x7f, // i32.const -1 (WOULD_WAIT)
      0x46, // i32.eq
      0x04,
      0x40, // if
      0x10,
      ...uleb(waitFn), // call wait.result
      0x21,
      ...uleb(r), // local.set r
      0x0b, // end
      ...(s.errno ? [0x20, ...uleb(r)] : []), // local.get r
      0x0b, // end
    ];
    const body = [1, 1, I32, ...code]; // one local: r
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(sigs.map((_, i) => uleb(sigs.length + i)))),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}

/** An instance of the module, bound to the syscalls of one process at a time. */
interface Trampoline {
  readonly exports: Record<string, WebAssembly.ExportValue>;
  fns: Readonly<Record<string, MayWait>>;
}

const compiled = new Map<string, WebAssembly.Module>();
/**
 * Instances no process holds, by module. Instantiating one cost a warm start 0.1–0.3 ms of its
 * 1 ms, so a process Worker keeps the one its last process used and binds it to the next one's
 * syscalls.
 */
const free = new Map<string, Trampoline[]>();

function instantiate(module: WebAssembly.Module, names: readonly string[]): Trampoline {
  let pending: Promise<number> | undefined;
  const fast: Record<string, (...args: (number | bigint)[]) => number> = {};
  for (const n of names) {
    fast[n] = (...args) => {
      const r = t.fns[n]!(...args);
      if (typeof r === 'number') return r;
      pending = r;
      return WOULD_WAIT;
    };
  }
  const result = new WebAssembly.Suspending(() => {
    const p = pending!;
    pending = undefined;
    return p;
  });
  const t: Trampoline = { exports: new WebAssembly.Instance(module, { fast, wait: { result } } as unknown as WebAssembly.Imports).exports, fns: {} };
  return t;
}

/** Functions to import under JSPI (see suspendOnlyWhenWaiting), and how to give them back. */
export interface SuspendingImports {
  readonly imports: Record<string, WebAssembly.ExportValue>;
  /** The module that imported them is done: the next process may have them. */
  release(): void;
}

/**
 * Functions to import in place of `fns` under JSPI: each calls its function plainly and suspends
 * the module only when that returned a promise. `sigs` gives each name's wasm type.
 */
export function suspendOnlyWhenWaiting(fns: Readonly<Record<string, MayWait>>, sigs: Readonly<Record<string, Signature>>): SuspendingImports {
  const names = Object.keys(fns).sort();
  const key = names.map((n) => `${n}(${sigs[n]!.params.join(',')})${sigs[n]!.errno ? '' : 'void'}`).join(';');
  let module = compiled.get(key);
  if (!module) {
    module = new WebAssembly.Module(
      trampolineModule(
        names.map((n) => sigs[n]!),
        names,
      ),
    );
    compiled.set(key, module);
  }
  const t = free.get(key)?.pop() ?? instantiate(module, names);
  t.fns = fns;
  let released = false;
  return {
    imports: t.exports,
    release() {
      if (released) return;
      released = true;
      t.fns = {};
      const pool = free.get(key) ?? [];
      pool.push(t);
      free.set(key, pool);
    },
  };
}
