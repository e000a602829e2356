import type { Digest } from '../oci/digest.ts';
import { MergedTree } from '../unpack/merged-tree.ts';
import type { Db } from './db.ts';
import type { SnapshotRecord } from './snapshot-types.ts';

/** Unpacked layers keyed by ChainID. */
export class SnapshotStore {
  constructor(private readonly db: Db) {}

  get(chainId: Digest): Promise<SnapshotRecord | undefined> {
    return this.db.get('snapshots', chainId);
  }

  async has(chainId: Digest): Promise<boolean> {
    return (await this.db.getKey('snapshots', chainId)) !== undefined;
  }

  /** The merged root filesystem of a stack of snapshots (bottom first). */
  async merged(chainIds: readonly Digest[]): Promise<MergedTree> {
    const tree = new MergedTree();
    for (const id of chainIds) {
      const s = await this.get(id);
      if (!s) throw new Error(`snapshot ${id} is missing`);
      tree.apply(s.entries);
    }
    return tree;
  }
}
