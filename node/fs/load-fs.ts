// Builds a process's filesystem from metadata only: the image's snapshots stacked with the OCI
// rules, the container's writable layer on top, then the mounts: one record per snapshot and one
// index record per scope (fs-entries.ts), in one read-only transaction, less what the process
// Worker kept from earlier processes (kept-views.ts). No file contents are read here. The
// image's own merged tree (MergedTree), which persisting needs to tell changes from the image,
// is computed only if the process writes.

import type { ProcessSpec } from '../../core/protocol.ts';
import type { Db, FsEntryRecord, FsIndexRecord } from '../../core/store/db.ts';
import { containerScope, decodeIndex, rebuildScopeIndex, volumeScope } from '../../core/store/fs-entries.ts';
import type { LayerEntry, SnapshotRecord } from '../../core/store/snapshot-types.ts';
import { MergedTree } from '../../core/unpack/merged-tree.ts';
import { ContainerFs } from './container-fs.ts';
import type { KeptViews } from './kept-views.ts';
import { Mount } from './mount.ts';
import { addNetworkFiles } from './network-files.ts';
import { Content, DirNode, FileNode, type FsNode, metaOf, nowNs, SpecialNode, SymlinkNode } from './nodes.ts';

function nodeOf(mount: Mount, e: LayerEntry | FsEntryRecord): FsNode | undefined {
  const meta = metaOf(e);
  switch (e.type) {
    case 'dir':
    case 'opaque':
      return new DirNode(mount, meta);
    case 'file':
      return new FileNode(mount, meta, new Content(e.sha, e.size ?? 0, 'at' in e ? e.at : undefined));
    case 'symlink':
      return new SymlinkNode(mount, meta, e.linkTarget ?? '');
    case 'char':
    case 'block':
    case 'fifo':
      return new SpecialNode(mount, meta, e.type);
    default:
      return undefined;
  }
}

function split(path: string): [dir: string, name: string] {
  const i = path.lastIndexOf('/');
  return [path.slice(0, i) || '/', path.slice(i + 1)];
}

/** What applying a layer needs of its entries, worked out once per layer (see applyLayer). */
interface LayerPlan {
  readonly whiteouts: readonly (readonly [dir: string, name: string, opaque: boolean])[];
  /** Entries other than hard links, sorted by path (parents first), with their directory and name. */
  readonly rest: readonly (readonly [entry: LayerEntry, dir: string, name: string])[];
  readonly links: readonly (readonly [entry: LayerEntry, dir: string, name: string, targetDir: string, targetName: string])[];
}

/** Plans by entries array: an image's snapshots are kept across the processes of a Worker. */
const plans = new WeakMap<readonly LayerEntry[], LayerPlan>();

function planOf(entries: readonly LayerEntry[]): LayerPlan {
  const known = plans.get(entries);
  if (known) return known;
  const whiteouts: [string, string, boolean][] = [];
  const rest: [LayerEntry, string, string][] = [];
  const links: [LayerEntry, string, string, string, string][] = [];
  for (const e of entries) {
    if (e.type === 'whiteout') whiteouts.push([...split(e.path), false]);
    else if (e.type === 'opaque') whiteouts.push([e.path, '', true]);
    // An opaque marker only hides what is below; the directory's own entry carries its metadata.
    if (e.type === 'whiteout' || e.type === 'opaque' || e.path === '/') continue;
    if (e.type === 'hardlink') links.push([e, ...split(e.path), ...split(e.linkTarget ?? '')]);
    else rest.push([e, ...split(e.path)]);
  }
  rest.sort(([a], [b]) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const plan = { whiteouts, rest, links };
  plans.set(entries, plan);
  return plan;
}

/**
 * Applies one layer's entries onto a tree as stacking does (see MergedTree): its whiteouts and
 * opaque markers first, then its entries parents-first; a directory over a directory keeps what
 * is below; a hard link shares its target's content. An entry below something that is not a
 * directory is left out, as stacking refuses it.
 */
function applyLayer(root: DirNode, entries: readonly LayerEntry[]): void {
  const plan = planOf(entries);
  const dirs = new Map<string, DirNode>([['/', root]]);
  const dirAt = (path: string, create: boolean): DirNode | undefined => {
    const known = dirs.get(path);
    if (known) return known;
    const [up, name] = split(path);
    const parent = dirAt(up, create);
    let node = parent?.children.get(name);
    if (!node && parent && create) {
      node = new DirNode(root.mount, metaOf({ mode: 0o755, uid: 0, gid: 0, mtime: 0 }));
      parent.add(name, node);
    }
    if (node?.kind !== 'dir') return undefined;
    dirs.set(path, node);
    return node;
  };
  for (const [dir, name, opaque] of plan.whiteouts) {
    if (opaque) dirAt(dir, false)?.children.clear();
    else dirAt(dir, false)?.children.delete(name);
  }
  // Deletions may have taken directories the lookups remembered.
  dirs.clear();
  dirs.set('/', root);
  for (const [e, dir, name] of plan.rest) {
    const parent = dirAt(dir, true);
    const node = nodeOf(root.mount, e);
    if (!parent || !node) continue;
    const old = parent.children.get(name);
    if (old?.kind === 'dir' && node.kind === 'dir') {
      old.meta = node.meta;
      continue;
    }
    if (old?.kind === 'dir') for (const k of [...dirs.keys()]) if (k === e.path || k.startsWith(`${e.path}/`)) dirs.delete(k);
    // A file over one name of a hard-linked pair leaves the other name alone (as docker cp does).
    if (old?.kind === 'file') old.content.unlink(old);
    parent.add(name, node);
  }
  for (const [, dir, name, tdir, tname] of plan.links) {
    const parent = dirAt(dir, true);
    const target = dirAt(tdir, false)?.children.get(tname);
    if (!parent || target?.kind !== 'file') continue;
    const node = new FileNode(root.mount, target.meta, target.content);
    target.content.link(target, node);
    parent.add(name, node);
  }
}

function newRoot(mount: Mount, mode: number): DirNode {
  const t = nowNs();
  const root = new DirNode(mount, { mode, uid: 0, gid: 0, atime: t, mtime: t, ctime: t });
  mount.root = root;
  return root;
}

/**
 * The process's filesystem. Snapshots and scope indexes in `kept` are not read again (a kept index
 * once its stamp is found still stored), and the ones read are kept. `counts` counts the
 * IndexedDB requests made, and the scope indexes taken from `kept`.
 */
export async function loadFs(db: Db, spec: ProcessSpec, kept?: KeptViews, counts = { reads: 0, keptScopes: 0 }): Promise<ContainerFs> {
  const volumes = spec.mounts.filter((m) => m.kind === 'volume');
  const layerScope = containerScope(spec.containerId);
  // A warm start of a new container with no volumes reads nothing at all.
  const scopes = [...(spec.emptyLayer ? [] : [layerScope]), ...volumes.map((m) => volumeScope(m.source))];
  const begin = () => db.transaction(['snapshots', 'fsIndex']);
  let tx: ReturnType<typeof begin> | undefined;
  const store = <N extends 'snapshots' | 'fsIndex'>(name: N) => (tx ??= begin()).objectStore(name);
  const read = <T>(request: Promise<T>): Promise<T> => {
    counts.reads++;
    return request;
  };
  const keptScopes = scopes.map((scope) => kept?.scopes.get(scope));
  const [snaps, ...found] = await Promise.all([
    Promise.all(spec.chainIds.map((id) => kept?.snapshots.get(id) ?? read(store('snapshots').get(id)))),
    // For a kept index, only whether its stamp is still stored: a key, not the record.
    ...scopes.map((scope, i) => {
      const k = keptScopes[i];
      return read<string | FsIndexRecord | undefined>(k ? store('fsIndex').index('stamp').getKey(k.stamp) : store('fsIndex').get(scope));
    }),
  ]);
  for (const s of snaps) if (s) kept?.snapshots.set(s.chainId, s);
  const entries = await Promise.all(
    scopes.map(async (scope, i): Promise<readonly FsEntryRecord[]> => {
      const k = keptScopes[i];
      if (k && found[i] === scope) {
        counts.keptScopes++;
        return k.entries;
      }
      // A kept index whose stamp is gone: the scope changed since it was read.
      if (k) kept?.scopes.delete(scope);
      const rec = k ? await read(db.get('fsIndex', scope)) : (found[i] as FsIndexRecord | undefined);
      if (!rec) return read(rebuildScopeIndex(db, scope));
      const decoded = decodeIndex(rec);
      if (rec.stamp) kept?.scopes.set(scope, { stamp: rec.stamp, entries: decoded });
      return decoded;
    }),
  );
  const [layer = [], ...vols] = spec.emptyLayer ? [undefined, ...entries] : entries;
  const image = snaps.map((s, i) => s ?? missing(spec.chainIds[i]!));
  const lower = () => {
    const tree = new MergedTree();
    for (const s of image) tree.apply(s.entries);
    return tree.entries;
  };

  const rootMount = new Mount(layerScope, false, lower, 1n);
  const root = newRoot(rootMount, 0o755);
  for (const s of image) applyLayer(root, s.entries);
  applyLayer(root, layer);
  const fs = new ContainerFs(root, [rootMount], { uid: spec.uid, gid: spec.gid });

  // Parents before children, so a mount inside another mount lands in it.
  const mounts = [...spec.mounts].sort((a, b) => a.target.length - b.target.length);
  let dev = 2n;
  for (const m of mounts) {
    const mount = new Mount(m.kind === 'volume' ? volumeScope(m.source) : undefined, m.readOnly, undefined, dev++);
    const mroot = newRoot(mount, m.kind === 'tmpfs' ? 0o1777 : 0o755);
    if (m.kind === 'volume') applyLayer(mroot, vols[volumes.indexOf(m)] ?? ([] as FsEntryRecord[]));
    const [dir, name] = split(m.target.replace(/\/+$/, ''));
    if (!name) throw new Error(`cannot mount over the root directory (${m.target})`);
    fs.ensureDir(dir, rootMount).add(name, mroot);
    fs.mounts.push(mount);
  }
  addNetworkFiles(fs, spec, rootMount, dev);
  return fs;
}

function missing(chainId: string): SnapshotRecord {
  throw new Error(`snapshot ${chainId} is missing: the image was removed`);
}
