import type { StoreKey, StoreNames, StoreValue } from 'idb';
import { asEngineError } from '../errors.ts';
import type { Db, EngineDB } from './db.ts';

type Op = {
  [S in StoreNames<EngineDB>]:
    | { store: S; kind: 'put'; value: StoreValue<EngineDB, S>; key?: StoreKey<EngineDB, S> }
    | {
        store: S;
        kind: 'delete';
        key: StoreKey<EngineDB, S>;
      };
}[StoreNames<EngineDB>];

/**
 * Groups many small IndexedDB writes into few transactions (per-record cost dominates IDB
 * writes) and keeps a bounded number of them in flight, so a producer gets backpressure.
 * Transactions over overlapping stores run in creation order, so write order is kept.
 */
export class BatchWriter {
  private ops: Op[] = [];
  private pendingBytes = 0;
  private readonly inflight: Promise<void>[] = [];
  private failure: unknown;

  constructor(
    private readonly db: Db,
    private readonly flushBytes = 8 << 20,
    private readonly maxInflight = 2,
  ) {}

  async put<S extends StoreNames<EngineDB>>(store: S, value: StoreValue<EngineDB, S>, key?: StoreKey<EngineDB, S>, bytes = 256): Promise<void> {
    this.check();
    this.ops.push({ store, kind: 'put', value, ...(key !== undefined ? { key } : {}) } as Op);
    this.pendingBytes += bytes;
    if (this.pendingBytes >= this.flushBytes) await this.flush();
  }

  async delete<S extends StoreNames<EngineDB>>(store: S, key: StoreKey<EngineDB, S>): Promise<void> {
    this.check();
    this.ops.push({ store, kind: 'delete', key } as Op);
    this.pendingBytes += 64;
    if (this.pendingBytes >= this.flushBytes) await this.flush();
  }

  /** Starts a transaction for what is queued; waits only if too many are in flight. */
  async flush(): Promise<void> {
    this.check();
    if (this.ops.length > 0) {
      const ops = this.ops;
      this.ops = [];
      this.pendingBytes = 0;
      const stores = [...new Set(ops.map((o) => o.store))];
      const tx = this.db.transaction(stores, 'readwrite');
      // Watch the outcome before queuing requests: a put can also fail synchronously.
      const done = tx.done.catch((e: unknown) => {
        this.failure ??= asEngineError(e);
      });
      try {
        for (const o of ops) {
          const s = tx.objectStore(o.store);
          // Request failures surface through tx.done; the per-request promises are only silenced.
          const req = o.kind === 'put' ? (o.key !== undefined ? s.put(o.value as never, o.key as never) : s.put(o.value as never)) : s.delete(o.key as never);
          req.catch(() => undefined);
        }
      } catch (e) {
        this.failure ??= asEngineError(e);
        try {
          tx.abort();
        } catch {
          /* already aborted */
        }
      }
      this.inflight.push(done);
    }
    while (this.inflight.length > this.maxInflight) await this.inflight.shift();
    this.check();
  }

  /** Writes everything queued and waits until it is durable. */
  async drain(): Promise<void> {
    await this.flush();
    while (this.inflight.length) await this.inflight.shift();
    this.check();
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
