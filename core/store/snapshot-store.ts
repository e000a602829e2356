import type { Digest } from '../oci/digest.ts';
import { MergedTree } from '../unpack/merged-tree.ts';
import type { Db } from './db.ts';
import type { SnapshotRecord } from './snapshot-types.ts';

/** Merged trees kept in memory: container starts, execs and diffs of the same image reuse them. */
const CACHED_TREES = 8;

/** Unpacked layers keyed by ChainID. */
export class SnapshotStore {
  /** By the top ChainID, which names the whole stack; snapshots never change, so neither do these. */
  private readonly trees = new Map<string, MergedTree>();

  constructor(private readonly db: Db) {}

  get(chainId: Digest): Promise<SnapshotRecord | undefined> {
    return this.db.get('snapshots', chainId);
  }

  async has(chainId: Digest): Promise<boolean> {
    return (await this.db.getKey('snapshots', chainId)) !== undefined;
  }

  /** The merged root filesystem of a stack of snapshots (bottom first); the caller's own copy. */
  async merged(chainIds: readonly Digest[]): Promise<MergedTree> {
    const top = chainIds[chainIds.length - 1];
    const hit = top && this.trees.get(top);
    if (hit) {
      // Most recently used last, so the oldest is the first to go.
      this.trees.delete(top);
      this.trees.set(top, hit);
      return hit.clone();
    }
    const tree = new MergedTree();
    for (const id of chainIds) {
      const s = await this.get(id);
      if (!s) throw new Error(`snapshot ${id} is missing`);
      tree.apply(s.entries);
    }
    if (top) {
      this.trees.set(top, tree.clone());
      if (this.trees.size > CACHED_TREES) this.trees.delete(this.trees.keys().next().value!);
    }
    return tree;
  }
}
