import type { Db, FsEntryRecord, FsIndexRecord } from './db.ts';
import type { EntryType } from './snapshot-types.ts';

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
  tx.objectStore('fsIndex')
    .put(encodeIndex(scope, entries))
    .catch(() => undefined);
  tx.done.catch(() => undefined);
  return entries;
}

/** Numbers per entry in an index: mode, uid, gid, mtime, size, pack offset, devMajor, devMinor. */
const W = 8;

export function encodeIndex(scope: string, entries: readonly FsEntryRecord[]): FsIndexRecord {
  const numbers = new Float64Array(entries.length * W);
  entries.forEach((e, i) => {
    const row = [e.mode, e.uid, e.gid, e.mtime, e.size, e.at?.offset, e.devMajor, e.devMinor];
    for (let k = 0; k < W; k++) numbers[i * W + k] = row[k] ?? NaN;
  });
  const column = (f: (e: FsEntryRecord) => string | undefined) => entries.map((e) => f(e) ?? '').join('\0');
  return {
    scope,
    stamp: crypto.randomUUID(),
    count: entries.length,
    paths: column((e) => e.path),
    types: column((e) => e.type),
    shas: column((e) => e.sha),
    links: column((e) => e.linkTarget),
    packs: column((e) => e.at?.pack),
    numbers,
  };
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export function decodeIndex(r: FsIndexRecord): FsEntryRecord[] {
  if (r.count === 0) return [];
  const paths = r.paths.split('\0');
  const types = r.types.split('\0') as EntryType[];
  const shas = r.shas.split('\0');
  const links = r.links.split('\0');
  const packs = r.packs.split('\0');
  const n = r.numbers;
  const out: FsEntryRecord[] = new Array(r.count);
  for (let i = 0; i < r.count; i++) {
    const row = i * W;
    const e: Writable<FsEntryRecord> = {
      scope: r.scope,
      path: paths[i]!,
      type: types[i]!,
      mode: n[row]!,
      uid: n[row + 1]!,
      gid: n[row + 2]!,
      mtime: n[row + 3]!,
    };
    if (!Number.isNaN(n[row + 4])) e.size = n[row + 4];
    if (shas[i]) e.sha = shas[i];
    if (links[i]) e.linkTarget = links[i];
    if (packs[i] && !Number.isNaN(n[row + 5])) e.at = { pack: packs[i]!, offset: n[row + 5]! };
    if (!Number.isNaN(n[row + 6])) e.devMajor = n[row + 6];
    if (!Number.isNaN(n[row + 7])) e.devMinor = n[row + 7];
    out[i] = e;
  }
  return out;
}
