// A process Worker: runs WASI processes (process-run.ts) for its node agent, one at a time. The
// node starts it ahead of time, terminates it to kill a process, and gives it the next process
// once one exits by itself: its code is then compiled and hot, its database open, and the image
// snapshots and scope indexes it read are kept (kept-views.ts). It opens IndexedDB itself, so
// file data never crosses to another thread.
import { type Db, openEngineDb } from '../../core/store/db.ts';
import { KeptViews } from '../fs/kept-views.ts';
import { PauseGate } from './pause-gate.ts';
import type { FromProcess, ToProcess } from './process-messages.ts';
import { runProcess } from './process-run.ts';
import { SocketHub } from './socket-hub.ts';
import { StdinQueue } from './stdin-queue.ts';

let db: { name: string; open: Promise<Db> } | undefined;
let stdin: StdinQueue | undefined;
let gate: PauseGate | undefined;
/** The running process's sockets; a connection for a process that ended is refused. */
let sockets = new SocketHub([]);
let granted: (() => void) | undefined;
const kept = new KeptViews();
/** Counts runs, so anything a finished process left pending cannot speak for the next one. */
let runs = 0;

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

self.onmessage = async (e: MessageEvent<ToProcess>) => {
  const m = e.data;
  if (m.t === 'prewarm') void database(m.dbName);
  else if (m.t === 'stdin') stdin?.push(m.data);
  else if (m.t === 'credit') granted?.();
  else if (m.t === 'pause') gate?.pause();
  else if (m.t === 'unpause') gate?.unpause();
  else if (m.t === 'forget') for (const scope of m.scopes) kept.scopes.delete(scope);
  else if (m.t === 'connect') sockets.connect(m.port, m.stream);
  else {
    const run = ++runs;
    const post = (msg: FromProcess, transfer: Transferable[] = []) => {
      if (run === runs) self.postMessage(msg, { transfer });
    };
    stdin = new StdinQueue(m.spec.openStdin);
    gate = m.jspi ? new PauseGate() : undefined;
    sockets.closeAll();
    sockets = new SocketHub(m.spec.network?.listenPorts ?? []);
    const credit = () => {
      post({ t: 'credit' });
      return new Promise<void>((r) => (granted = r));
    };
    try {
      await runProcess({
        db: await database(m.spec.dbName),
        spec: m.spec,
        jspi: m.jspi,
        modules: m.modules,
        kept,
        workerRuns: run,
        stdin,
        ...(gate ? { gate } : {}),
        sockets,
        post,
        credit,
      });
    } catch (err) {
      sockets.closeAll();
      post({ t: 'exit', code: 125, error: `cannot run the process: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
};
