import type { Db, FsEntryRecord } from './db.ts';

/** The `fsEntries` scope of a container's writable layer. */
export const containerScope = (id: string): string => `c:${id}`;
/** The `fsEntries` scope of a volume. */
export const volumeScope = (name: string): string => `v:${name}`;

function scopeRange(scope: string): IDBKeyRange {
  return IDBKeyRange.bound([scope, ''], [scope, '\uffff']);
}

export function listScope(db: Db, scope: string): Promise<FsEntryRecord[]> {
  return db.getAll('fsEntries', scopeRange(scope));
}

export async function countScope(db: Db, scope: string): Promise<number> {
  return db.count('fsEntries', scopeRange(scope));
}

export async function deleteScope(db: Db, scope: string): Promise<void> {
  await db.delete('fsEntries', scopeRange(scope));
}
