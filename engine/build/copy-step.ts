import type { LayerEntry, TreeEntry } from '../../core/store/snapshot-types.ts';
import { BuildStepError } from './build-errors.ts';
import { layerTar } from './layer-tar.ts';

export interface CopyOptions {
  /** `--chown`, as IDs: every entry copied and every directory created gets them. */
  readonly owner?: { readonly uid: number; readonly gid: number };
  /** `--chmod=0755`: every file and directory copied gets it. */
  readonly chmod?: string;
  /** SOURCE_DATE_EPOCH, else now. */
  readonly mtime?: number;
  /** The destination's current tree: a parent directory that exists there keeps its mode and owner. */
  readonly existing?: (path: string) => TreeEntry | undefined;
}

/**
 * One entry COPY or ADD writes at its absolute destination. What the source knows of it (another
 * stage's tree, an archive, a URL's 0600) comes along; the context's files carry none, so they
 * are 0644 and directories 0755, owned by root, as Docker writes them.
 */
export type CopiedEntry = Meta &
  (
    | { readonly type: 'file'; readonly data: Uint8Array }
    | { readonly type: 'dir' }
    | { readonly type: 'symlink'; readonly linkTarget: string }
    /** `linkTarget`: the absolute path of a file copied before it, in the same step. */
    | { readonly type: 'hardlink'; readonly linkTarget: string }
  );

interface Meta {
  readonly to: string;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly mtime?: number;
}

/**
 * What COPY/ADD (or WORKDIR's mkdir) adds, as a layer tar: each entry at its destination, after
 * its parent directories. A parent the destination already has is written as it is there (a COPY
 * into `/tmp` leaves it 1777); one that is new is 0755, owned by `--chown`'s IDs or root.
 */
export async function copyLayer(copied: readonly CopiedEntry[], opts: CopyOptions): Promise<Uint8Array> {
  const now = opts.mtime ?? Math.floor(Date.now() / 1000);
  const owner = opts.owner;
  const chmod = opts.chmod !== undefined ? Number.parseInt(opts.chmod, 8) : undefined;
  if (chmod !== undefined && (Number.isNaN(chmod) || chmod > 0o7777)) throw new BuildStepError(`invalid chmod parameter: ${opts.chmod}`);
  const entries = new Map<string, LayerEntry>();
  const contents = new Map<string, Uint8Array>();
  for (const c of copied) {
    const ids = { uid: owner?.uid ?? c.uid ?? 0, gid: owner?.gid ?? c.gid ?? 0, mtime: c.mtime ?? now };
    if (c.type === 'file') {
      const sha = `${contents.size}`;
      contents.set(sha, c.data);
      entries.set(c.to, { path: c.to, type: 'file', mode: chmod ?? c.mode ?? 0o644, ...ids, size: c.data.byteLength, sha });
    } else if (c.type === 'dir') entries.set(c.to, { path: c.to, type: 'dir', mode: chmod ?? c.mode ?? 0o755, ...ids });
    else if (c.type === 'hardlink') entries.set(c.to, { path: c.to, type: 'hardlink', mode: chmod ?? c.mode ?? 0o644, ...ids, linkTarget: c.linkTarget });
    else entries.set(c.to, { path: c.to, type: 'symlink', mode: 0o777, ...ids, linkTarget: c.linkTarget });
  }
  for (const path of [...entries.keys()]) {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const p = `/${parts.slice(0, i).join('/')}`;
      if (entries.has(p)) continue;
      const there = opts.existing?.(p);
      entries.set(
        p,
        there?.type === 'dir'
          ? { path: p, type: 'dir', mode: there.mode, uid: there.uid, gid: there.gid, mtime: there.mtime }
          : { path: p, type: 'dir', mode: 0o755, uid: owner?.uid ?? 0, gid: owner?.gid ?? 0, mtime: now },
      );
    }
  }
  return layerTar([...entries.values()], async (sha) => contents.get(sha), { mtime: now });
}
