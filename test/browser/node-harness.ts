// Runs in Chromium next to harness.ts: starts node Workers (node/node-agent.ts) and runs
// processes on them, exposed to Playwright tests as `window.N`. Output and timings come back as
// plain data; a process's handle is its processId.
import * as Comlink from 'comlink';
import type { ProcessEvent, ProcessSpec } from '../../core/protocol.ts';
import type { NodeAgent } from '../../node/node-agent.ts';
import type { Outcome, SpecInput } from '../support/node-harness-types.ts';

interface Running {
  readonly node: Comlink.Remote<NodeAgent>;
  readonly t0: number;
  stdout: string;
  stderr: string;
  started: boolean;
  firstOutputMs?: number;
  startedMs?: number;
  readonly exit: Promise<ProcessEvent & { type: 'exit' }>;
  exitMs?: number;
  /** Called whenever output arrives (waitFor). */
  onOutput?: () => void;
}

const dbName = new URLSearchParams(location.search).get('db') ?? 'harness';
const nodes = new Map<string, { worker: Worker; api: Comlink.Remote<NodeAgent> }>();
const running = new Map<string, Running>();
const decoder = new TextDecoder();
let seq = 0;

/** Starts a node Worker; `jspi: false` forces the fallback path. */
async function startNode(name: string, opts: { jspi?: boolean } = {}): Promise<{ jspi: boolean }> {
  const worker = new Worker(new URL('/node/node-agent.ts', location.origin), { type: 'module', name });
  const api = Comlink.wrap<NodeAgent>(worker);
  nodes.set(name, { worker, api });
  return api.configure(opts);
}

function stopNode(name: string): void {
  nodes.get(name)?.worker.terminate();
  nodes.delete(name);
}

/** A ProcessSpec for an image already pulled into the harness database. */
async function spec(image: string, s: SpecInput): Promise<ProcessSpec> {
  const img = await E.images.resolve(image);
  return {
    processId: `p${++seq}-${Math.random().toString(36).slice(2, 8)}`,
    containerId: s.containerId ?? `c${seq}-${Math.random().toString(36).slice(2, 8)}`,
    // As the engine says of a container's first start: a new container's layer is empty.
    ...(s.containerId === undefined ? { emptyLayer: true } : {}),
    dbName,
    chainIds: img.chainIds,
    mounts: s.mounts ?? [],
    argv: s.argv,
    env: s.env ?? ['PATH=/bin'],
    cwd: s.cwd ?? '/',
    uid: 0,
    gid: 0,
    hostname: 'wasi-test',
    tty: s.tty ?? false,
    openStdin: s.openStdin ?? false,
    memoryLimit: s.memoryLimit ?? 0,
  };
}

/** Starts a process; returns its processId. */
async function start(nodeName: string, image: string, s: SpecInput): Promise<string> {
  const node = nodes.get(nodeName)?.api;
  if (!node) throw new Error(`no node ${nodeName}`);
  const sp = await spec(image, s);
  let done!: (e: ProcessEvent & { type: 'exit' }) => void;
  const r: Running = { node, t0: performance.now(), stdout: '', stderr: '', started: false, exit: new Promise((res) => (done = res)) };
  running.set(sp.processId, r);
  const onEvent = (e: ProcessEvent) => {
    const t = performance.now() - r.t0;
    if (e.type === 'started') {
      r.started = true;
      r.startedMs = t;
    } else if (e.type === 'exit') {
      r.exitMs = t;
      done(e);
    } else {
      r.firstOutputMs ??= t;
      if (e.type === 'stdout') r.stdout += decoder.decode(e.data);
      else r.stderr += decoder.decode(e.data);
      r.onOutput?.();
    }
  };
  await node.spawn(sp, Comlink.proxy(onEvent));
  return sp.processId;
}

function get(id: string): Running {
  const r = running.get(id);
  if (!r) throw new Error(`no process ${id}`);
  return r;
}

async function write(id: string, text: string | null): Promise<void> {
  await get(id).node.writeStdin(id, text === null ? null : new TextEncoder().encode(text));
}

/** Resolves when the process's stdout contains `text`; the stdout so far. */
function waitFor(id: string, text: string, timeoutMs = 10_000): Promise<string> {
  const r = get(id);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${JSON.stringify(text)}; stdout: ${JSON.stringify(r.stdout)}`)), timeoutMs);
    const check = () => {
      if (!r.stdout.includes(text)) return;
      clearTimeout(timer);
      r.onOutput = undefined;
      resolve(r.stdout);
    };
    r.onOutput = check;
    check();
  });
}

async function kill(id: string, signal: number): Promise<void> {
  await get(id).node.kill(id, signal);
}

async function result(id: string): Promise<Outcome> {
  const r = get(id);
  const e = await r.exit;
  const stats = await r.node.stats(id);
  running.delete(id);
  return {
    stdout: r.stdout,
    stderr: r.stderr,
    code: e.code,
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.oomKilled ? { oomKilled: true } : {}),
    started: r.started,
    ...(r.firstOutputMs !== undefined ? { firstOutputMs: r.firstOutputMs } : {}),
    ...(r.startedMs !== undefined ? { startedMs: r.startedMs } : {}),
    exitMs: r.exitMs!,
    ...(stats ? { stats } : {}),
  };
}

/** Runs a process to its end, feeding `stdin` (then end of file) when given. */
async function run(nodeName: string, image: string, s: SpecInput & { stdin?: string }): Promise<Outcome> {
  const id = await start(nodeName, image, { ...s, openStdin: s.openStdin ?? s.stdin !== undefined });
  if (s.stdin !== undefined) {
    await write(id, s.stdin);
    await write(id, null);
  }
  return result(id);
}

/** The records of an fsEntries scope (a writable layer `c:<id>` or a volume `v:<name>`). */
async function scope(name: string): Promise<{ path: string; type: string; sha?: string }[]> {
  const all = await E.db.getAll('fsEntries', IDBKeyRange.bound([name, ''], [name, '\uffff']));
  return all.map((e) => ({ path: e.path, type: e.type, ...(e.sha ? { sha: e.sha } : {}) }));
}

const N = { startNode, stopNode, start, write, waitFor, kill, result, run, scope };
(window as unknown as { N: typeof N }).N = N;
export type NodeHarness = typeof N;
