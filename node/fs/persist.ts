// Writes a mount's changes to IndexedDB: the touched paths become writable-layer (or volume)
// records, new contents go into the file store, all in ONE transaction, so garbage collection
// never sees a record without its data or data without its record.
//
// Consistency: each process holds its own view, loaded at its start. Its changes reach
// IndexedDB in batches after it closes files (commit-batcher.ts: within 50 ms, or at once when
// many are pending), when it syncs a file (with JSPI fsync waits for the commit; without JSPI
// changes are committed when the module returns) and at exit. A process started
// later (another process of the container, another container using the volume, on any node,
// or after a reload) sees them. Processes running at the same time do not see each other's
// changes; for one path the last flush wins.
import { isOutOfSpace } from '../../core/errors.ts';
import type { Db, FsEntryRecord, PackSlice } from '../../core/store/db.ts';
import { chunkFile, type GrowingPack, PACK_FILE_MAX } from '../../core/store/file-layout.ts';
import type { TreeEntry } from '../../core/store/snapshot-types.ts';
import type { Mount } from './mount.ts';
import type { Content, FsNode } from './nodes.ts';

type Found = FsNode | 'absent' | 'foreign';

/** The node at a mount-relative path; 'foreign' when another mount covers it. */
function nodeAt(mount: Mount, path: string): Found {
  let cur: FsNode = mount.root;
  for (const part of path.split('/')) {
    if (part === '') continue;
    if (cur.kind !== 'dir') return 'absent';
    const next = cur.children.get(part);
    if (!next) return 'absent';
    if (next.mount !== mount) return 'foreign';
    cur = next;
  }
  return cur;
}

/** Whether `n` is still reachable from the mount's root (a name replaced by a layer above is not). */
function attached(mount: Mount, n: FsNode): boolean {
  for (let c = n; c !== mount.root; c = c.parent) if (!c.parent || c.parent.children.get(c.name) !== c) return false;
  return true;
}

function parentPath(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/**
 * The names of a hard-linked file in this mount, smallest path first: the first is stored as
 * the file, the others as hard links to it (as a tar does), so they come back linked.
 */
function linkPaths(mount: Mount, n: FsNode): string[] | undefined {
  if (n.kind !== 'file' || n.content.links.size < 2) return undefined;
  const paths = [...n.content.links].filter((l) => l.mount === mount && attached(mount, l)).map((l) => mount.pathOf(l));
  return paths.length > 1 ? paths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) : undefined;
}

function recordOf(scope: string, path: string, n: FsNode, sha: string | undefined, at: PackSlice | undefined, linkedTo: string | undefined): FsEntryRecord {
  const common = { scope, path, mode: n.meta.mode, uid: n.meta.uid, gid: n.meta.gid, mtime: Number(n.meta.mtime / 1_000_000_000n) };
  switch (n.kind) {
    case 'file':
      if (linkedTo !== undefined && linkedTo !== path) return { ...common, type: 'hardlink', linkTarget: linkedTo };
      return { ...common, type: 'file', size: n.content.size, sha: sha!, ...(at ? { at } : {}) };
    case 'dir':
      return { ...common, type: 'dir' };
    case 'symlink':
      return { ...common, type: 'symlink', linkTarget: n.target };
    case 'special':
      return { ...common, type: n.type };
  }
}

function sameAsLower(r: FsEntryRecord, low: TreeEntry | undefined): boolean {
  return (
    low !== undefined &&
    low.type === r.type &&
    low.mode === r.mode &&
    low.uid === r.uid &&
    low.gid === r.gid &&
    low.mtime === r.mtime &&
    low.sha === r.sha &&
    low.linkTarget === r.linkTarget
  );
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of d) hex += b.toString(16).padStart(2, '0');
  return hex;
}

interface NewContent {
  readonly content: Content;
  readonly version: number;
  readonly bytes: Uint8Array;
  readonly sha: string;
}

/** `strict` (fsync) waits for the disk; `relaxed` (close, exit) for the browser to have it. */
export type Durability = 'strict' | 'relaxed';

/**
 * Stores a mount's touched paths. New small contents are appended to `pack`, the writer's
 * growing pack, so files closed one by one still share a record.
 */
async function flushMount(db: Db, mount: Mount, pack: GrowingPack, durability: Durability = 'relaxed'): Promise<void> {
  const scope = mount.scope;
  if (scope === undefined || mount.touched.size === 0) return;
  const paths = [...mount.touched];
  mount.touched.clear();
  try {
    // Every name of a touched hard-linked file is written again: which name holds the file may
    // have changed (a rename, an unlink).
    const names = new Set(paths);
    const links = new Map<Content, string[]>();
    for (const p of paths) {
      const n = nodeAt(mount, p);
      if (typeof n === 'string' || n.kind !== 'file' || links.has(n.content)) continue;
      const all = linkPaths(mount, n);
      if (!all) continue;
      links.set(n.content, all);
      for (const l of all) names.add(l);
    }
    // Hash changed contents (and stack the image) first: a transaction must not wait on anything
    // but its own requests.
    const found = [...names].map((p) => [p, nodeAt(mount, p)] as const);
    const changed = new Set<Content>();
    for (const [, n] of found) if (typeof n !== 'string' && n.kind === 'file' && (n.content.dirty || n.content.sha === undefined)) changed.add(n.content);
    const fresh = new Map<Content, NewContent>(
      await Promise.all(
        [...changed].map(async (c) => {
          const bytes = c.bytes().slice();
          return [c, { content: c, version: c.version, bytes, sha: await sha256Hex(bytes) }] as const;
        }),
      ),
    );

    const lower = mount.lower();

    const tx = db.transaction(['files', 'fileData', 'fsEntries', 'fsIndex'], 'readwrite', { durability });
    const files = tx.objectStore('files');
    const data = tx.objectStore('fileData');
    const entries = tx.objectStore('fsEntries');
    const known = await Promise.all([...fresh.values()].map((f) => files.get(f.sha)));
    // Failures surface through tx.done; the requests are collected so none is left unhandled.
    const reqs: Promise<unknown>[] = [tx.objectStore('fsIndex').delete(scope)];
    /** Where each content stored by this flush is, when it is a slice of a pack. */
    const places = new Map<string, PackSlice>();
    const stored = new Set<string>();
    const small: NewContent[] = [];
    [...fresh.values()].forEach((f, i) => {
      const loc = known[i]?.loc;
      if (loc && 'pack' in loc) places.set(f.sha, { pack: loc.pack, offset: loc.offset });
      if (loc || stored.has(f.sha)) return;
      stored.add(f.sha);
      if (f.bytes.length <= PACK_FILE_MAX) {
        small.push(f);
        return;
      }
      const layout = chunkFile(f.sha, f.bytes);
      for (const [key, bytes] of layout.data) reqs.push(data.put(bytes, key));
      for (const r of layout.records) reqs.push(files.put(r));
    });
    const packed = small.length ? pack.append(small) : undefined;
    if (packed) {
      for (const [key, bytes] of packed.data) reqs.push(data.put(bytes, key));
      for (const r of packed.records) {
        reqs.push(files.put(r));
        if ('pack' in r.loc) places.set(r.sha, r.loc);
      }
    }

    for (const [path, n] of found) {
      if (n === 'foreign' || path === '/') continue;
      const below = IDBKeyRange.bound([scope, `${path}/`], [scope, `${path}/\uffff`]);
      if (n === 'absent') {
        reqs.push(entries.delete(below));
        const parent = nodeAt(mount, parentPath(path));
        const hidesLower = typeof parent !== 'string' && parent.kind === 'dir' && lower?.has(path);
        reqs.push(hidesLower ? entries.put({ scope, path, type: 'whiteout', mode: 0, uid: 0, gid: 0, mtime: 0 }) : entries.delete([scope, path]));
        continue;
      }
      if (n.kind !== 'dir') reqs.push(entries.delete(below));
      // A directory removed and made again: an earlier flush may have recorded only its
      // whiteout (dropping its children's), so each image entry it no longer holds gets its own.
      else if (lower?.get(path)?.type === 'dir')
        for (const name of mount.lowerChildren(path))
          if (!n.children.has(name)) reqs.push(entries.put({ scope, path: `${path}/${name}`, type: 'whiteout', mode: 0, uid: 0, gid: 0, mtime: 0 }));
      const sha = n.kind === 'file' ? (fresh.get(n.content)?.sha ?? n.content.sha) : undefined;
      const at = n.kind !== 'file' ? undefined : sha !== undefined && places.has(sha) ? places.get(sha) : n.content.at;
      const rec = recordOf(scope, path, n, sha, at, n.kind === 'file' ? links.get(n.content)?.[0] : undefined);
      reqs.push(sameAsLower(rec, lower?.get(path)) ? entries.delete([scope, path]) : entries.put(rec));
    }
    await Promise.all([...reqs, tx.done]);
    packed?.commit();
    for (const f of fresh.values()) {
      f.content.sha = f.sha;
      f.content.at = places.get(f.sha);
      if (f.content.version === f.version) f.content.dirty = false;
    }
  } catch (e) {
    for (const p of paths) mount.touched.add(p);
    throw e;
  }
}

/** Every touched path of every mount, one transaction per mount. */
export async function flushAll(db: Db, mounts: readonly Mount[], pack: GrowingPack, durability: Durability = 'relaxed'): Promise<void> {
  for (const m of mounts) await flushMount(db, m, pack, durability);
}

/** Why a commit failed, as the container's exit error reports it; a full quota as a full disk. */
export function unsavedReason(e: unknown): string {
  if (isOutOfSpace(e)) return "no space left on device (the browser's storage quota is full)";
  return e instanceof Error ? e.message : String(e);
}
