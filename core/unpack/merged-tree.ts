import { HostileLayerError } from '../errors.ts';
import type { LayerEntry, TreeEntry } from '../store/snapshot-types.ts';
import { ancestors, isUnder } from './paths.ts';

const ROOT: TreeEntry = { path: '/', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 };

/**
 * A root filesystem built by stacking layers with the OCI rules: a layer's whiteouts and
 * opaque markers apply to lower layers first, then its entries are applied in tar order.
 * Stacking refuses entries that would reach outside the root: a path through a symlink, a
 * hardlink to something that is not a regular file of this root.
 */
export class MergedTree {
  readonly entries = new Map<string, TreeEntry>([['/', ROOT]]);

  clone(): MergedTree {
    const t = new MergedTree();
    for (const [k, v] of this.entries) t.entries.set(k, v);
    return t;
  }

  apply(layer: readonly LayerEntry[]): void {
    for (const e of layer) {
      if (e.type === 'opaque') this.removeChildren(e.path);
      else if (e.type === 'whiteout') this.remove(e.path);
    }
    for (const e of layer) {
      if (e.type === 'opaque' || e.type === 'whiteout') continue;
      this.checkParents(e.path);
      const existing = this.entries.get(e.path);
      if (existing?.type === 'dir' && e.type !== 'dir') this.removeChildren(e.path);
      if (e.type === 'hardlink') {
        const target = this.entries.get(e.linkTarget!);
        if (!target || target.type !== 'file') {
          throw new HostileLayerError(`hardlink ${e.path} points to ${e.linkTarget}, which is not a regular file in the image (link out of the layer?)`);
        }
        this.entries.set(e.path, { ...target, path: e.path, hardlinkTo: target.hardlinkTo ?? target.path });
        continue;
      }
      const { type, ...rest } = e;
      this.entries.set(e.path, { ...rest, type });
    }
  }

  /** Every ancestor must be a directory; a missing one is created as tar extraction does. */
  private checkParents(path: string): void {
    for (const a of ancestors(path)) {
      const p = this.entries.get(a);
      if (!p) {
        this.entries.set(a, { path: a, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 });
        continue;
      }
      if (p.type === 'symlink') {
        throw new HostileLayerError(`layer entry ${path} goes through symlink ${a} -> ${p.linkTarget} (escape refused)`);
      }
      if (p.type !== 'dir') throw new HostileLayerError(`layer entry ${path} is below ${a}, which is not a directory`);
    }
  }

  private remove(path: string): void {
    const e = this.entries.get(path);
    this.entries.delete(path);
    if (e?.type === 'dir') this.removeChildren(path);
  }

  private removeChildren(dir: string): void {
    for (const k of this.entries.keys()) if (isUnder(k, dir)) this.entries.delete(k);
  }

  /** Entries sorted by path, root excluded. */
  list(): TreeEntry[] {
    return [...this.entries.values()].filter((e) => e.path !== '/').sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}
