// A guest Worker: one x86 container (container-session.ts) for its node agent (x86-node.ts),
// which starts it ahead with the machine restored, and terminates it when the container ends.
// It opens IndexedDB itself, so file data never crosses to another thread.

import type { ProcessSpec } from '../../core/protocol.ts';
import { openEngineDb } from '../../core/store/db.ts';
import { ContainerSession, type MachineImage, type SessionEvent } from './container-session.ts';

export type ToGuest =
  | { readonly t: 'prepare'; readonly image: MachineImage }
  /** `image` is left out when the Worker was prepared. */
  | { readonly t: 'run'; readonly spec: ProcessSpec; readonly image?: MachineImage }
  | { readonly t: 'exec'; readonly spec: ProcessSpec }
  | { readonly t: 'stdin'; readonly processId: string; readonly data: Uint8Array | null }
  | { readonly t: 'signal'; readonly processId: string; readonly signal: number }
  | { readonly t: 'resize'; readonly processId: string; readonly columns: number; readonly rows: number }
  /** `docker pause`: the machine stops until `unpause`. */
  | { readonly t: 'pause' }
  | { readonly t: 'unpause' };

export type FromGuest = SessionEvent | { readonly type: 'failed'; readonly processId: string; readonly error: string };

const post = (m: FromGuest) => {
  const transfer = m.type === 'stdout' || m.type === 'stderr' ? [m.data.buffer as ArrayBuffer] : [];
  self.postMessage(m, { transfer });
};
const session = new ContainerSession(post);
const failed = (spec: ProcessSpec, e: unknown) => post({ type: 'failed', processId: spec.processId, error: e instanceof Error ? e.message : String(e) });

self.onmessage = (e: MessageEvent<ToGuest>) => {
  const m = e.data;
  switch (m.t) {
    case 'prepare':
      session.prepare(m.image);
      break;
    case 'run':
      void openEngineDb(m.spec.dbName)
        .then((db) => session.run(db, m.spec, m.image))
        .catch((err: unknown) => failed(m.spec, err));
      break;
    case 'exec':
      void session.exec(m.spec).catch((err: unknown) => failed(m.spec, err));
      break;
    case 'stdin':
      session.write(m.processId, m.data);
      break;
    case 'signal':
      void session.signal(m.processId, m.signal);
      break;
    case 'resize':
      session.resize(m.processId, m.columns, m.rows);
      break;
    case 'pause':
      void session.pause();
      break;
    case 'unpause':
      void session.unpause();
      break;
  }
};
