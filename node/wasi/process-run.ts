// One process, start to exit: the filesystem view, the working directory and entrypoint, the
// module, WASI, and the exit status.
import { searchPath } from '../../core/path-lookup.ts';
import type { ProcessSpec } from '../../core/protocol.ts';
import type { Db } from '../../core/store/db.ts';
import { GrowingPack } from '../../core/store/file-layout.ts';
import { CommitBatcher } from '../fs/commit-batcher.ts';
import type { ContainerFs } from '../fs/container-fs.ts';
import { ContentLoader } from '../fs/content-loader.ts';
import { Errno } from '../fs/errno.ts';
import type { KeptViews } from '../fs/kept-views.ts';
import { loadFs } from '../fs/load-fs.ts';
import type { DirNode, FileNode, FsNode } from '../fs/nodes.ts';
import { flushAll, unsavedReason } from '../fs/persist.ts';
import { limitPages } from './memory-limit.ts';
import type { PauseGate } from './pause-gate.ts';
import { Preview1 } from './preview1.ts';
import { CannotRun, type Exit, exitOf, oomExit } from './process-exit.ts';
import type { FromProcess, ProcessStats } from './process-messages.ts';
import { obtainModule, WASI_MODULE } from './process-module.ts';
import { isRubyReactor, rubyInteropImports, runRuby } from './ruby-reactor.ts';
import type { SocketHub } from './socket-hub.ts';
import type { StdinQueue } from './stdin-queue.ts';

/** Without JSPI, file contents up to this many bytes are loaded before the module starts. */
const PRELOAD_BUDGET = 64 << 20;

function envValue(env: readonly string[], name: string): string | undefined {
  return env.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
}

/** The working directory, created when missing as Docker does for WorkingDir. */
function workdir(fs: ContainerFs, path: string): DirNode {
  let dir = fs.root;
  for (const part of path.split('/').filter((p) => p !== '')) {
    let next: FsNode;
    try {
      next = fs.resolve(dir, part, true);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      try {
        fs.mkdir(dir, part);
      } catch (err) {
        if (err instanceof Errno) throw new CannotRun({ code: 126, error: `chdir to ${path}: cannot create it (WASI errno ${err.code})` });
        throw err;
      }
      next = fs.resolve(dir, part, true);
    }
    if (next.kind !== 'dir') throw new CannotRun({ code: 126, error: `chdir to ${path}: not a directory` });
    dir = next;
  }
  return dir;
}

/** argv[0] as execvp finds it: a path, or a name looked up in PATH. */
function entrypoint(fs: ContainerFs, cwd: DirNode, argv0: string, env: readonly string[]): FileNode {
  if (!argv0.includes('/')) {
    const found = searchPath(argv0, env, (path) => regularFileAt(fs, path));
    if (!found) throw new CannotRun({ code: 127, error: `exec: "${argv0}": executable file not found in $PATH` });
    return found;
  }
  let node: FsNode;
  try {
    node = fs.resolve(cwd, argv0, true);
  } catch {
    throw new CannotRun({ code: 127, error: `exec ${argv0}: no such file or directory` });
  }
  if (node.kind === 'dir') throw new CannotRun({ code: 126, error: `exec ${argv0}: is a directory` });
  if (node.kind !== 'file') throw new CannotRun({ code: 126, error: `exec ${argv0}: permission denied` });
  return node;
}

function regularFileAt(fs: ContainerFs, path: string): FileNode | undefined {
  try {
    const node = fs.resolve(fs.root, path, true);
    return node.kind === 'file' ? node : undefined;
  } catch {
    return undefined;
  }
}

/** Contents of every file not yet in memory, smallest first (the fallback's preload list). */
function allContents(fs: ContainerFs): string[] {
  const files: FileNode[] = [];
  const walk = (d: DirNode) => {
    for (const n of d.children.values()) {
      if (n.kind === 'dir') walk(n);
      else if (n.kind === 'file' && !n.content.loaded && n.content.sha) files.push(n);
    }
  };
  walk(fs.root);
  return files.sort((a, b) => a.content.size - b.content.size).map((f) => f.content.sha!);
}

export interface RunOptions {
  readonly db: Db;
  readonly spec: ProcessSpec;
  readonly jspi: boolean;
  readonly modules: ReadonlyMap<string, WebAssembly.Module>;
  /** Filesystem metadata this Worker kept from the processes it ran before. */
  readonly kept: KeptViews;
  /** Processes this Worker has run, this one included. */
  readonly workerRuns: number;
  readonly stdin: StdinQueue;
  /** Where `docker pause` holds the process (JSPI only). */
  readonly gate?: PauseGate;
  /** The listening sockets of spec.network.listenPorts; closed when the module ends. */
  readonly sockets: SocketHub;
  readonly post: (m: FromProcess, transfer?: Transferable[]) => void;
  /** Counts `bytes` of output just sent: a promise when the process must wait for the engine to take some. */
  readonly credit: (bytes: number) => Promise<void> | undefined;
}

export async function runProcess(o: RunOptions): Promise<void> {
  const { db, spec, jspi } = o;
  const t0 = performance.now();
  const at = () => performance.now() - t0;
  const loader = new ContentLoader(db);
  const marks = { fsReady: 0, moduleReady: 0, started: 0, firstOutput: undefined as number | undefined };
  let cachedModule = false;
  let preloadedBytes = 0;
  let wasi: Preview1 | undefined;
  const view = { reads: 0, keptScopes: 0 };
  const keptIndexes = o.kept.scopes.size;
  let fs: ContainerFs | undefined;
  const pack = new GrowingPack();
  const persist = serialize((durable: boolean) => (fs ? flushAll(db, fs.mounts, pack, durable ? 'strict' : 'relaxed') : Promise.resolve()));
  const commits = new CommitBatcher(persist, () => fs?.mounts.reduce((n, m) => n + m.touched.size, 0) ?? 0);
  let exit: Exit;
  let memory: WebAssembly.Memory | undefined;
  const maxPages = spec.memoryLimit > 0 ? limitPages(spec.memoryLimit) : 0;
  try {
    fs = await loadFs(db, spec, o.kept, view);
    const cwd = workdir(fs, spec.cwd);
    marks.fsReady = at();

    // Connections arrive as messages, which a module that cannot suspend never lets in.
    if (!jspi && o.sockets.listeners.length) {
      throw new CannotRun({ code: 126, error: 'listening sockets need JSPI (WebAssembly.Suspending), which this browser lacks' });
    }
    const argv0 = spec.argv[0] ?? '';
    const entry = entrypoint(fs, cwd, argv0, spec.env);
    const m = await obtainModule({
      entry,
      path: argv0,
      maxPages,
      memoryLimit: spec.memoryLimit,
      cache: o.modules,
      loader,
      compiled: (key, module) => o.post({ t: 'module', key, module }),
    });
    cachedModule = m.cached;
    marks.moduleReady = at();

    const env = envValue(spec.env, 'PWD') === undefined ? [...spec.env, `PWD=${fs.pathOf(cwd)}`] : [...spec.env];
    const host = {
      args: spec.argv,
      env,
      fs,
      loader,
      stdin: o.stdin,
      sockets: o.sockets,
      tty: spec.tty,
      jspi,
      ...(o.gate ? { gate: o.gate } : {}),
      output(stream: 1 | 2, data: Uint8Array): Promise<void> | undefined {
        marks.firstOutput ??= at();
        const bytes = data.length;
        o.post({ t: 'out', stream, data }, [data.buffer]);
        // Output is what a pause must stop: see soon whether one came.
        o.gate?.lookSoon();
        const wait = o.credit(bytes);
        // Without JSPI the module cannot wait, so its output is not held back.
        return jspi ? wait : undefined;
      },
      persist: (durable: boolean) => commits.now(durable),
      persistSoon: (bytes: number) => commits.closed(bytes),
      notice(message: string) {
        void host.output(2, new TextEncoder().encode(`${message}\n`));
      },
    };
    wasi = new Preview1(host);
    let instance: WebAssembly.Instance;
    try {
      const ruby = isRubyReactor(m.module) ? rubyInteropImports(m.module) : {};
      // Synchronous (a Worker may): the module is compiled, and this saves a task on every start.
      instance = new WebAssembly.Instance(m.module, { ...ruby, [WASI_MODULE]: wasi.imports() as WebAssembly.ModuleImports });
    } catch (e) {
      if (e instanceof WebAssembly.LinkError) throw new CannotRun({ code: 126, error: `exec ${argv0}: ${e.message}` });
      throw e;
    }
    memory = instance.exports.memory as WebAssembly.Memory;
    wasi.memory = memory;
    const inst = instance;
    type Fn = (...a: number[]) => unknown;
    const call = jspi ? (f: Fn, ...a: number[]) => WebAssembly.promising(f as () => void)(...(a as [])) : async (f: Fn, ...a: number[]) => f(...a);
    const start = isRubyReactor(m.module) ? () => runRuby(inst, spec.argv, call) : () => call(inst.exports._start as Fn);

    if (!jspi) {
      // Nothing can wait once the module runs: load what it may open now, smallest files first.
      const before = loader.stats.fileDataBytes;
      await loader.preload(allContents(fs), PRELOAD_BUDGET);
      preloadedBytes = loader.stats.fileDataBytes - before;
    }
    marks.started = at();
    o.post({ t: 'started' });
    // Without JSPI a read cannot wait for input: stdin is taken whole (pipes work, prompts do not).
    if (!jspi) await o.stdin.closed();
    try {
      await start();
      exit = { code: 0 };
    } catch (e) {
      exit = exitOf(e);
    }
    // The module's stack is gone, suspended calls with it: the next process may take its imports.
    wasi.release();
  } catch (e) {
    exit = exitOf(e);
  }
  // Before the exit message: the peers see the end of each connection first.
  o.sockets.closeAll();
  if (memory && maxPages) exit = oomExit(exit, memory.buffer.byteLength, spec.memoryLimit);
  if (fs) {
    try {
      await commits.now(false);
    } catch (e) {
      exit = { ...exit, error: `${exit.error ? `${exit.error}; ` : ''}filesystem changes were not saved: ${unsavedReason(e)}` };
    }
  }
  const stats: ProcessStats = {
    jspi,
    cachedModule,
    workerRuns: o.workerRuns,
    reads: { ...loader.stats },
    preloadedBytes,
    viewReads: view.reads,
    viewKept: view.keptScopes,
    keptIndexes,
    waits: wasi?.waits ?? 0,
    ...marks,
    exited: at(),
  };
  o.post({ t: 'exit', ...exit, stats });
}

/** Runs `fn` one call at a time, in order. */
function serialize<A>(fn: (arg: A) => Promise<void>): (arg: A) => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return (arg) => (last = last.catch(() => undefined).then(() => fn(arg)));
}
