// Image snapshots a process Worker keeps for the processes it runs after this one. A snapshot
// never changes (its ChainID names its content), so a kept one needs no check.
import type { SnapshotRecord } from '../../runtime/store/snapshot-types.ts';

export class SnapshotCache {
  private readonly kept = new Map<string, SnapshotRecord>();
  private entries = 0;

  /** Holds snapshots of up to `maxEntries` entries in all, least recently used out first. */
  constructor(private readonly maxEntries = 200_000) {}

  get(chainId: string): SnapshotRecord | undefined {
    const s = this.kept.get(chainId);
    if (s) {
      this.kept.delete(chainId);
      this.kept.set(chainId, s);
    }
    return s;
  }

  set(s: SnapshotRecord): void {
    if (this.kept.has(s.chainId) || s.entries.length > this.maxEntries) return;
    this.kept.set(s.chainId, s);
    this.entries += s.entries.length;
    for (const [id, old] of this.kept) {
      if (this.entries <= this.maxEntries) break;
      this.kept.delete(id);
      this.entries -= old.entries.length;
    }
  }
}
