// A mount: a subtree with one backing store. The container root is backed by the writable layer
// (scope `c:<id>`) over the image (`lower`); a volume by its own scope `v:<name>`; a tmpfs by
// nothing. Changes are recorded as touched paths and turned into records when flushed.
import type { TreeEntry } from '../../core/store/snapshot-types.ts';
import { E, fail } from './errno.ts';
import type { DirNode, FsNode } from './nodes.ts';

export class Mount {
  /** Mount-relative paths whose state may differ from what the backing store holds. */
  readonly touched = new Set<string>();
  root!: DirNode;
  private below: ReadonlyMap<string, TreeEntry> | undefined;
  private belowChildren: Map<string, string[]> | undefined;

  constructor(
    /** `fsEntries` scope; undefined for tmpfs (memory only). */
    readonly scope: string | undefined,
    readonly readOnly: boolean,
    /** Computes the image below a writable layer (only needed once something changed). */
    private readonly computeLower: (() => ReadonlyMap<string, TreeEntry>) | undefined,
    readonly dev: bigint,
  ) {}

  /** The image below a writable layer, by path: a path missing there needs no whiteout. */
  lower(): ReadonlyMap<string, TreeEntry> | undefined {
    if (this.computeLower) this.below ??= this.computeLower();
    return this.below;
  }

  /** The names directly inside a directory of the image below (indexed on first use). */
  lowerChildren(dir: string): readonly string[] {
    if (!this.belowChildren) {
      this.belowChildren = new Map();
      for (const p of this.lower()?.keys() ?? []) {
        if (p === '/') continue;
        const slash = p.lastIndexOf('/');
        const parent = p.slice(0, slash) || '/';
        const names = this.belowChildren.get(parent);
        if (names) names.push(p.slice(slash + 1));
        else this.belowChildren.set(parent, [p.slice(slash + 1)]);
      }
    }
    return this.belowChildren.get(dir) ?? [];
  }

  /** The node's path inside this mount (`/` for the mount's root). */
  pathOf(node: FsNode): string {
    const parts: string[] = [];
    for (let n: FsNode = node; n !== this.root; n = n.parent!) parts.push(n.name);
    return `/${parts.reverse().join('/')}`;
  }

  checkWritable(): void {
    if (this.readOnly) fail(E.ROFS);
  }

  touch(node: FsNode): void {
    if (this.scope !== undefined && node !== this.root) this.touched.add(this.pathOf(node));
  }

  /** Touches a node and everything below it (before a removal or after a move). */
  touchTree(node: FsNode): void {
    if (this.scope === undefined) return;
    const walk = (n: FsNode, path: string) => {
      this.touched.add(path);
      if (n.kind === 'dir') for (const [name, c] of n.children) if (c.mount === this) walk(c, childPath(path, name));
    };
    walk(node, this.pathOf(node));
  }
}

function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}
