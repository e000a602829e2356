// A process Worker: runs one WASI process (process-run.ts) for its node agent, which starts it
// ahead of time and terminates it to kill the process. It opens IndexedDB itself, so file data
// never crosses to another thread.
import { openEngineDb, type Db } from '../runtime/store/db.ts';
import type { FromProcess, ToProcess } from './process-messages.ts';
import { runProcess } from './process-run.ts';
import { StdinQueue } from './wasi/stdin-queue.ts';

let db: { name: string; open: Promise<Db> } | undefined;
let stdin: StdinQueue | undefined;
let granted: (() => void) | undefined;

function database(name: string): Promise<Db> {
  if (db?.name !== name) db = { name, open: openEngineDb(name) };
  return db.open;
}

const post = (m: FromProcess, transfer: Transferable[] = []) => self.postMessage(m, { transfer });

self.onmessage = async (e: MessageEvent<ToProcess>) => {
  const m = e.data;
  if (m.t === 'prewarm') void database(m.dbName);
  else if (m.t === 'stdin') stdin?.push(m.data);
  else if (m.t === 'credit') granted?.();
  else {
    stdin = new StdinQueue(m.spec.openStdin);
    const credit = () => {
      post({ t: 'credit' });
      return new Promise<void>((r) => (granted = r));
    };
    try {
      await runProcess({ db: await database(m.spec.dbName), spec: m.spec, jspi: m.jspi, modules: m.modules, stdin, post, credit });
    } catch (err) {
      post({ t: 'exit', code: 125, error: `cannot run the process: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
};
