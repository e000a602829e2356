// What a process Worker keeps of the filesystem metadata it read, for the processes it runs
// after this one: image snapshots, which never change (a ChainID names its content), and the
// decoded index of each writable layer or volume, kept with the stamp of the stored index it
// came from. Every change to a scope replaces or drops its stored index, so a start asks only
// whether that stamp is still stored (a key lookup, no value read) before it uses a kept one.
import type { FsEntryRecord } from '../../core/store/db.ts';
import type { SnapshotRecord } from '../../core/store/snapshot-types.ts';

/** Values of up to `maxEntries` entries in all, least recently used out first. */
class EntryLru<V extends { readonly entries: readonly unknown[] }> {
  private readonly kept = new Map<string, V>();
  private entries = 0;

  constructor(private readonly maxEntries: number) {}

  get(key: string): V | undefined {
    const v = this.kept.get(key);
    if (v) {
      this.kept.delete(key);
      this.kept.set(key, v);
    }
    return v;
  }

  set(key: string, v: V): void {
    this.delete(key);
    if (v.entries.length > this.maxEntries) return;
    this.kept.set(key, v);
    this.entries += v.entries.length;
    for (const [k, old] of this.kept) {
      if (this.entries <= this.maxEntries) break;
      this.kept.delete(k);
      this.entries -= old.entries.length;
    }
  }

  get size(): number {
    return this.kept.size;
  }

  delete(key: string): void {
    const old = this.kept.get(key);
    if (!old) return;
    this.kept.delete(key);
    this.entries -= old.entries.length;
  }
}

/** A scope's entries as decoded from its stored index; read-only, as several processes share them. */
export interface KeptScope {
  readonly stamp: string;
  readonly entries: readonly FsEntryRecord[];
}

export class KeptViews {
  readonly snapshots = new EntryLru<SnapshotRecord>(200_000);
  readonly scopes = new EntryLru<KeptScope>(200_000);
}
