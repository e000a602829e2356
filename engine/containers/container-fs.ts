import type { Digest } from '../../core/oci/digest.ts';
import { searchPath } from '../../core/path-lookup.ts';
import type { Db } from '../../core/store/db.ts';
import { readFile } from '../../core/store/file-store.ts';
import { containerScope, listScope } from '../../core/store/fs-entries.ts';
import type { SnapshotStore } from '../../core/store/snapshot-store.ts';
import type { TreeEntry } from '../../core/store/snapshot-types.ts';
import type { MergedTree } from '../../core/unpack/merged-tree.ts';
import { isUnder } from '../../core/unpack/paths.ts';

/** A container's root filesystem metadata: its image's snapshots with its writable layer on top. */
export async function containerTree(db: Db, snapshots: SnapshotStore, id: string, chainIds: readonly Digest[]): Promise<MergedTree> {
  return (await containerTreeAndLayer(db, snapshots, id, chainIds)).tree;
}

/** As containerTree, and whether the writable layer has no entries yet. */
export async function containerTreeAndLayer(
  db: Db,
  snapshots: SnapshotStore,
  id: string,
  chainIds: readonly Digest[],
): Promise<{ tree: MergedTree; layerEmpty: boolean }> {
  const [tree, layer] = await Promise.all([snapshots.merged(chainIds), listScope(db, containerScope(id))]);
  tree.apply(layer);
  return { tree, layerEmpty: layer.length === 0 };
}

/** Follows symlinks (absolute ones from the container's root) to the entry a path names. */
export function resolvePath(tree: MergedTree, path: string, depth = 0): TreeEntry | undefined {
  const e = tree.entries.get(path);
  if (!e || e.type !== 'symlink' || depth > 16) return e;
  const target = e.linkTarget!.startsWith('/') ? e.linkTarget! : `${path.slice(0, path.lastIndexOf('/'))}/${e.linkTarget}`;
  return resolvePath(tree, normalize(target), depth + 1);
}

function normalize(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** The executable a command resolves to (`sh` → `/bin/sh`); a path is taken as it is, as execvp does. */
export function lookPath(tree: MergedTree, cmd: string, env: readonly string[]): string | undefined {
  if (cmd.includes('/')) return cmd;
  return searchPath(cmd, env, (path) => {
    const p = normalize(path);
    return resolvePath(tree, p)?.type === 'file' ? p : undefined;
  });
}

/** Resolves `user[:group]` (names or IDs) with the container's /etc/passwd and /etc/group. */
export async function resolveUser(db: Db, tree: MergedTree, user: string): Promise<{ uid: number; gid: number } | string> {
  if (!user) return { uid: 0, gid: 0 };
  const [u, g] = user.split(':') as [string, string | undefined];
  const table = async (path: string) => {
    const e = resolvePath(tree, path);
    const bytes = e?.sha ? await readFile(db, e.sha) : undefined;
    return bytes
      ? new TextDecoder()
          .decode(bytes)
          .split('\n')
          .map((l) => l.split(':'))
      : [];
  };
  let uid: number;
  let gid = 0;
  if (/^\d+$/.test(u)) uid = Number(u);
  else {
    const row = (await table('/etc/passwd')).find((r) => r[0] === u);
    if (!row) return `unable to find user ${u}: no matching entries in passwd file`;
    uid = Number(row[2]);
    gid = Number(row[3]);
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const row = (await table('/etc/group')).find((r) => r[0] === g);
      if (!row) return `unable to find group ${g}: no matching entries in group file`;
      gid = Number(row[2]);
    }
  }
  return { uid, gid };
}

/** Entries at and below `path`, for archives (`docker cp`). */
export function subtree(tree: MergedTree, path: string): TreeEntry[] {
  return tree.list().filter((e) => e.path === path || isUnder(e.path, path));
}
