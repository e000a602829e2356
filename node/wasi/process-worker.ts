// A process Worker: runs WASI processes (process-run.ts) for its node agent, one at a time. The
// node starts it ahead of time, terminates it to kill a process, and gives it the next process
// once one exits by itself: its code is then compiled and hot, its database open, and the image
// snapshots and scope indexes it read are kept (kept-views.ts). It opens IndexedDB itself, so
// file data never crosses to another thread. A Worker the node reserved for the engine takes its
// run, and sends that run's events, over a port straight to the engine (NodeAgentApi.reserve).
import type { DirectRequest, ProcessEvent, ProcessSpec } from '../../core/protocol.ts';
import { type Db, openEngineDb } from '../../core/store/db.ts';
import { KeptViews } from '../fs/kept-views.ts';
import { OutputWindow } from './output-window.ts';
import { PauseGate } from './pause-gate.ts';
import { type FromProcess, OUTPUT_WINDOW, type ToProcess } from './process-messages.ts';
import { runProcess } from './process-run.ts';
import { SocketHub } from './socket-hub.ts';
import { StdinQueue } from './stdin-queue.ts';

/** Output events a direct run may have on their way to the engine before it waits for credit. */
const MESSAGE_WINDOW = 64;

let db: { name: string; open: Promise<Db> } | undefined;
let stdin: StdinQueue | undefined;
let gate: PauseGate | undefined;
/** The running process's sockets; a connection for a process that ended is refused. */
let sockets = new SocketHub([]);
/** The window of the run through the node, which the node's `credit` opens. */
let nodeWindow: OutputWindow | undefined;
const kept = new KeptViews();
/** Counts runs, so anything a finished process left pending cannot speak for the next one. */
let runs = 0;
/** What the node sent for the reserved run before that run came from the engine. */
let held: ToProcess[] | undefined;

function database(name: string): Promise<Db> {
  // A newer version opened by another tab closes this connection: the next run opens afresh.
  if (db?.name !== name)
    db = {
      name,
      open: openEngineDb(name, () => {
        if (db?.name === name) db = undefined;
      }),
    };
  return db.open;
}

type Post = (msg: FromProcess, transfer?: Transferable[]) => void;

async function run(
  spec: ProcessSpec,
  jspi: boolean,
  modules: ReadonlyMap<string, WebAssembly.Module>,
  post: Post,
  credit: (bytes: number) => Promise<void> | undefined,
) {
  stdin = new StdinQueue(spec.openStdin);
  gate = jspi ? new PauseGate() : undefined;
  sockets.closeAll();
  sockets = new SocketHub(spec.network?.listenPorts ?? []);
  try {
    await runProcess({ db: await database(spec.dbName), spec, jspi, modules, kept, workerRuns: runs, stdin, ...(gate ? { gate } : {}), sockets, post, credit });
  } catch (err) {
    sockets.closeAll();
    post({ t: 'exit', code: 125, error: `cannot run the process: ${err instanceof Error ? err.message : String(err)}` });
  }
}

/** A run through the node: its output goes to the node, which grants credit. */
function runForNode(m: ToProcess & { t: 'run' }): Promise<void> {
  const current = ++runs;
  const post: Post = (msg, transfer = []) => {
    if (current === runs) self.postMessage(msg, { transfer });
  };
  const credit = new OutputWindow(OUTPUT_WINDOW, Number.POSITIVE_INFINITY, 1, () => post({ t: 'credit' }));
  nodeWindow = credit;
  return run(m.spec, m.jspi, m.modules, post, (bytes) => credit.spend(bytes));
}

/** Waits for the engine's run on `port`; its events go there, its exit to the node too (stats, reuse). */
function reserve(m: ToProcess & { t: 'direct' }): void {
  held = [];
  const { port } = m;
  // The engine reports what it took in batches: the run goes on once half the window is free.
  const credit = new OutputWindow(OUTPUT_WINDOW, MESSAGE_WINDOW, 0.5);
  const toEngine = (e: ProcessEvent, transfer: Transferable[] = []) => port.postMessage(e, transfer);
  port.onmessage = (e: MessageEvent<DirectRequest>) => {
    const r = e.data;
    if (r.t === 'taken') return credit.taken(r.bytes, r.messages);
    const current = ++runs;
    const post: Post = (msg, transfer = []) => {
      if (current !== runs) return;
      if (msg.t === 'out') toEngine({ type: msg.stream === 1 ? 'stdout' : 'stderr', data: msg.data }, transfer);
      else if (msg.t === 'started') toEngine({ type: 'started', pid: m.pid });
      else if (msg.t === 'exit') {
        toEngine({ type: 'exit', code: msg.code, ...(msg.error ? { error: msg.error } : {}), ...(msg.oomKilled ? { oomKilled: true } : {}) });
        port.close();
        self.postMessage(msg);
      } else self.postMessage(msg, { transfer });
    };
    const early = held ?? [];
    held = undefined;
    void run(r.spec, m.jspi, m.modules, post, (bytes) => credit.spend(bytes));
    for (const h of early) handle(h);
  };
}

function handle(m: ToProcess): void {
  if (m.t === 'prewarm') void database(m.dbName);
  else if (m.t === 'direct') reserve(m);
  else if (m.t === 'run') void runForNode(m);
  else if (m.t === 'forget') for (const scope of m.scopes) kept.scopes.delete(scope);
  else if (held) held.push(m);
  else if (m.t === 'stdin') stdin?.push(m.data);
  else if (m.t === 'credit') nodeWindow?.taken();
  else if (m.t === 'pause') gate?.pause();
  else if (m.t === 'unpause') gate?.unpause();
  else if (m.t === 'connect') sockets.connect(m.port, m.stream);
}

self.onmessage = (e: MessageEvent<ToProcess>) => handle(e.data);
