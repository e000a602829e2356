import { asEngineError } from '../../core/errors.ts';
import type { LogRecord } from '../../core/store/container-types.ts';
import type { Db } from '../../core/store/db.ts';

export interface LogQuery {
  readonly follow?: boolean;
  /** Only the last N records (`--tail`). */
  readonly tail?: number;
  /** Milliseconds since the epoch (`--since`). */
  readonly since?: number;
  readonly signal?: AbortSignal;
}

const FLUSH_MS = 50;

/**
 * Container output, kept apart per stream and persisted in IndexedDB (as Docker's json-file log
 * driver keeps it on disk), written in small batches; followers get records as they arrive.
 */
export class LogStore {
  private pending: { key: [string, number]; rec: LogRecord }[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly followers = new Map<string, Set<(r: { seq: number; rec: LogRecord } | null) => void>>();

  constructor(private readonly db: Db) {}

  /** Next sequence number per container; a promise, so appends racing the first lookup agree. */
  private readonly next = new Map<string, Promise<number>>();

  private nextSeq(id: string): Promise<number> {
    const prev =
      this.next.get(id) ??
      this.db
        .transaction('logs')
        .store.openKeyCursor(IDBKeyRange.bound([id, 0], [id, Infinity]), 'prev')
        .then((last) => (last ? (last.key[1] as number) + 1 : 0));
    const mine = prev.then((n) => n);
    this.next.set(
      id,
      mine.then((n) => n + 1),
    );
    return mine;
  }

  async append(id: string, stream: 'stdout' | 'stderr', data: Uint8Array): Promise<void> {
    const rec: LogRecord = { stream, time: Date.now(), data };
    const seq = await this.nextSeq(id);
    this.pending.push({ key: [id, seq], rec });
    for (const f of this.followers.get(id) ?? []) f({ seq, rec });
    this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length) {
      // A batch that cannot be stored (a full quota) is dropped, as Docker's json-file driver
      // drops lines on a full disk: the container runs on and followers had the lines already.
      this.flushing = this.flushing.then(async () => {
        const tx = this.db.transaction('logs', 'readwrite');
        await Promise.all([...batch.map(({ key, rec }) => tx.store.put(rec, key)), tx.done]).catch((e: unknown) => {
          console.warn(`container logs: ${batch.length} records not saved:`, asEngineError(e));
        });
      });
    }
    return this.flushing;
  }

  /** Writes what is pending; nothing is scheduled after this. */
  async close(): Promise<void> {
    await this.flush();
  }

  /** Tells followers the container stopped (follow ends, as `docker logs -f` does). */
  end(id: string): void {
    for (const f of this.followers.get(id) ?? []) f(null);
  }

  async *read(id: string, q: LogQuery = {}, running = false): AsyncGenerator<LogRecord> {
    const queue: ({ seq: number; rec: LogRecord } | null)[] = [];
    let wake: (() => void) | undefined;
    const follower = (r: { seq: number; rec: LogRecord } | null) => {
      queue.push(r);
      wake?.();
    };
    const following = q.follow && running;
    if (following) {
      let set = this.followers.get(id);
      if (!set) this.followers.set(id, (set = new Set()));
      set.add(follower);
    }
    try {
      await this.flush();
      const range = IDBKeyRange.bound([id, 0], [id, Infinity]);
      const keys = await this.db.getAllKeys('logs', range);
      let recs = (await this.db.getAll('logs', range)).map((rec, i) => ({ seq: keys[i]![1], rec }));
      if (q.since !== undefined) recs = recs.filter((r) => r.rec.time >= q.since!);
      if (q.tail !== undefined && q.tail >= 0) recs = recs.slice(Math.max(0, recs.length - q.tail));
      // Records that arrived while reading are both stored and queued: the sequence number tells.
      let last = keys.length ? keys[keys.length - 1]![1] : -1;
      for (const r of recs) yield r.rec;
      if (!following) return;
      const onAbort = () => follower(null);
      q.signal?.addEventListener('abort', onAbort);
      try {
        for (;;) {
          while (queue.length === 0) await new Promise<void>((r) => (wake = r));
          const r = queue.shift()!;
          if (r === null) return;
          if (r.seq <= last) continue;
          last = r.seq;
          yield r.rec;
        }
      } finally {
        q.signal?.removeEventListener('abort', onAbort);
      }
    } finally {
      this.followers.get(id)?.delete(follower);
    }
  }

  async remove(id: string): Promise<void> {
    await this.flush();
    await this.db.delete('logs', IDBKeyRange.bound([id, 0], [id, Infinity]));
    this.next.delete(id);
  }
}
