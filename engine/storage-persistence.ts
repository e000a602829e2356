import type { EventBus } from './events.ts';

/** The origin's storage as the browser reports it: what the engine's data may grow into. */
export interface StorageReport {
  readonly usage: number;
  readonly quota: number;
  /** The browser keeps it under storage pressure (`navigator.storage.persisted()`). */
  readonly persisted: boolean;
}

/** Events after which the engine holds data a user would not want the browser to evict. */
const STORING = new Set(['image:pull', 'image:load', 'image:tag', 'container:create', 'volume:create']);

type Storage = Pick<StorageManager, 'estimate' | 'persist' | 'persisted'>;

/** Undefined in Node, and on insecure origins, where browsers leave `navigator.storage` out. */
const browserStorage = (): Storage | undefined => (typeof navigator !== 'undefined' ? navigator.storage : undefined);

/**
 * Asks once, when the engine first stores something, that the browser keep the origin's storage
 * (`navigator.storage.persist()`): without it, best-effort storage may be evicted under pressure.
 * Asked then rather than at start, as browsers that prompt (Firefox) tie the prompt to use.
 */
export function persistOnFirstStore(bus: EventBus, storage: Storage | undefined = browserStorage()): void {
  if (!storage) return;
  const off = bus.subscribe((e) => {
    if (!STORING.has(`${e.Type}:${e.Action}`)) return;
    off();
    void (async () => {
      if (!(await storage.persisted())) await storage.persist();
    })().catch((err) => console.warn('navigator.storage.persist() failed:', err));
  });
}

/** The origin's usage, quota and persistence; undefined where there is no StorageManager (Node). */
export async function storageReport(storage: Storage | undefined = browserStorage()): Promise<StorageReport | undefined> {
  if (!storage) return undefined;
  const [est, persisted] = await Promise.all([storage.estimate(), storage.persisted()]);
  return { usage: est.usage ?? 0, quota: est.quota ?? 0, persisted };
}
