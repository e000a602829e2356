import type { Db, FsEntryRecord } from './db.ts';

/** The `fsEntries` scope of a container's writable layer. */
export const containerScope = (id: string): string => `c:${id}`;
/** The `fsEntries` scope of a volume. */
export const volumeScope = (name: string): string => `v:${name}`;

export function scopeRange(scope: string): IDBKeyRange {
  return IDBKeyRange.bound([scope, ''], [scope, '\uffff']);
}

export function listScope(db: Db, scope: string): Promise<FsEntryRecord[]> {
  return db.getAll('fsEntries', scopeRange(scope));
}

export async function countScope(db: Db, scope: string): Promise<number> {
  return db.count('fsEntries', scopeRange(scope));
}

export async function deleteScope(db: Db, scope: string): Promise<void> {
  const tx = db.transaction(['fsEntries', 'fsIndex'], 'readwrite');
  await Promise.all([tx.objectStore('fsEntries').delete(scopeRange(scope)), tx.objectStore('fsIndex').delete(scope), tx.done]);
}

/** Drops a scope's index after its entries changed outside a transaction that could do it. */
export async function staleIndex(db: Db, scope: string): Promise<void> {
  await db.delete('fsIndex', scope);
}

/**
 * A scope's entries, read to rebuild its missing index: reading and writing in one read-write
 * transaction, so no change to the scope can fall in between.
 */
export async function rebuildScopeIndex(db: Db, scope: string): Promise<readonly FsEntryRecord[]> {
  const tx = db.transaction(['fsEntries', 'fsIndex'], 'readwrite');
  const entries = await tx.objectStore('fsEntries').getAll(scopeRange(scope));
  // The caller needs only the entries: the index is written as the transaction ends.
  tx.objectStore('fsIndex').put({ scope, entries }).catch(() => undefined);
  tx.done.catch(() => undefined);
  return entries;
}
