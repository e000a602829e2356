import { type TarWriteEntry, writeTarEntries } from '../../core/archive/tar-writer.ts';
import { InvalidParameterError, NotFoundError } from '../../core/errors.ts';
import { BatchWriter } from '../../core/store/batch-writer.ts';
import type { ContainerRecord } from '../../core/store/container-types.ts';
import type { FsEntryRecord } from '../../core/store/db.ts';
import { FileSink, readFile } from '../../core/store/file-store.ts';
import { containerScope, listScope, staleIndex } from '../../core/store/fs-entries.ts';
import type { MergedTree } from '../../core/unpack/merged-tree.ts';
import { baseName, isUnder, normalizeEntryPath } from '../../core/unpack/paths.ts';
import { readTar } from '../../core/unpack/tar-reader.ts';
import { containerTree, resolvePath, subtree } from './container-fs.ts';
import type { ContainerRecords } from './container-records.ts';
import type { ContainerServiceDeps } from './container-service.ts';

/** What `docker cp` needs to know about a path before copying (the Engine API's archive HEAD). */
export interface PathStat {
  readonly name: string;
  readonly size: number;
  /** Permission and type bits, as Go's os.FileMode reports them to the docker CLI. */
  readonly mode: number;
  readonly mtime: string;
  readonly linkTarget: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
}

/** Diff kinds as the Engine API numbers them. */
export enum ChangeKind {
  Modified = 0,
  Added = 1,
  Deleted = 2,
}

export type ContainerFilesDeps = Pick<ContainerServiceDeps, 'db' | 'snapshots'> & {
  readonly records: ContainerRecords;
};

/** A container's files: its image's tree with the writable layer on top (`docker cp`, `docker diff`). */
export class ContainerFiles {
  constructor(private readonly deps: ContainerFilesDeps) {}

  /** `docker diff`: what the writable layer changed, added or deleted. */
  async diff(idOrName: string): Promise<{ Path: string; Kind: ChangeKind }[]> {
    const { db, snapshots } = this.deps;
    const rec = this.deps.records.resolve(idOrName);
    const image = await db.get('images', rec.Image);
    const base = image ? await snapshots.merged(image.chainIds) : undefined;
    const out: { Path: string; Kind: ChangeKind }[] = [];
    for (const e of await listScope(db, containerScope(rec.Id))) {
      if (e.type === 'whiteout') out.push({ Path: e.path, Kind: ChangeKind.Deleted });
      else out.push({ Path: e.path, Kind: base?.entries.has(e.path) ? ChangeKind.Modified : ChangeKind.Added });
    }
    return out.sort((a, b) => (a.Path < b.Path ? -1 : 1));
  }

  /** `docker cp CONTAINER:PATH -`: a tar of the path (a file, or a directory and what is below it). */
  async getArchive(idOrName: string, path: string): Promise<Uint8Array> {
    const rec = this.deps.records.resolve(idOrName);
    const tree = await this.treeOf(rec);
    const abs = normalizeEntryPath(path);
    const top = resolvePath(tree, abs);
    if (!top) throw new NotFoundError(`Could not find the file ${path} in container ${idOrName}`);
    const root = top.path;
    const prefix = baseName(abs) || '.';
    const entries: TarWriteEntry[] = [];
    for (const e of subtree(tree, root)) {
      if (e.type !== 'file' && e.type !== 'dir' && e.type !== 'symlink') continue;
      const name = e.path === root ? prefix : `${prefix}${root === '/' ? e.path : e.path.slice(root.length)}`;
      const data = e.type === 'file' && e.sha ? await readFile(this.deps.db, e.sha) : undefined;
      entries.push({
        name,
        type: e.type,
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        mtime: e.mtime,
        ...(data ? { data } : {}),
        ...(e.linkTarget ? { linkTarget: e.linkTarget } : {}),
      });
    }
    return writeTarEntries(entries);
  }

  /** A path in the container, symlinks followed for the last component too (as `docker cp` stats). */
  async statPath(idOrName: string, path: string): Promise<PathStat> {
    const rec = this.deps.records.resolve(idOrName);
    const tree = await this.treeOf(rec);
    const abs = normalizeEntryPath(path);
    const e = resolvePath(tree, abs);
    if (!e) throw new NotFoundError(`Could not find the file ${path} in container ${idOrName}`);
    const type = e.type === 'file' || e.type === 'dir' || e.type === 'symlink' ? e.type : 'other';
    return {
      name: baseName(abs) || '/',
      size: e.size ?? 0,
      mode: e.mode,
      mtime: new Date(e.mtime * 1000).toISOString(),
      linkTarget: tree.entries.get(abs)?.type === 'symlink' ? tree.entries.get(abs)!.linkTarget! : '',
      type,
    };
  }

  /** `docker cp - CONTAINER:DIR`: extracts a tar into a directory of the writable layer. */
  async putArchive(idOrName: string, dir: string, tar: Uint8Array): Promise<void> {
    const { db } = this.deps;
    const rec = this.deps.records.resolve(idOrName);
    const tree = await this.treeOf(rec);
    const root = normalizeEntryPath(dir);
    const target = resolvePath(tree, root);
    if (!target) throw new NotFoundError(`Could not find the file ${dir} in container ${idOrName}`);
    if (target.type !== 'dir') throw new InvalidParameterError(`extraction point is not a directory: ${dir}`);
    const writer = new BatchWriter(db);
    const sink = new FileSink(db, writer);
    const scope = containerScope(rec.Id);
    const entries: FsEntryRecord[] = [];
    for await (const { header: h, body } of readTar(
      (async function* () {
        yield tar;
      })(),
    )) {
      const rel = normalizeEntryPath(h.name);
      if (rel === '/') continue;
      const path = target.path === '/' ? rel : `${target.path}${rel}`;
      if (!isUnder(path, target.path)) throw new InvalidParameterError(`refusing to extract ${h.name} outside ${dir}`);
      const common = { scope, path, mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime };
      if (h.type === 'file') entries.push({ ...common, type: 'file', size: h.size, sha: await sink.write(h.size, body) });
      else if (h.type === 'dir') entries.push({ ...common, type: 'dir' });
      else if (h.type === 'symlink') entries.push({ ...common, type: 'symlink', linkTarget: h.linkName });
    }
    // Refuse what stacking would refuse (paths through symlinks) before anything is recorded.
    tree.clone().apply(entries);
    await sink.finish();
    for (const e of entries) await writer.put('fsEntries', e);
    await writer.drain();
    // After the entries: a process starting in between reads the old index or rebuilds a full one.
    await staleIndex(db, scope);
  }

  /** Bytes of file contents in a container's writable layer (`docker ps -s`, `system df`). */
  async layerSize(id: string): Promise<number> {
    let n = 0;
    for (const e of await listScope(this.deps.db, containerScope(id))) n += e.size ?? 0;
    return n;
  }

  private async treeOf(rec: ContainerRecord): Promise<MergedTree> {
    const image = await this.deps.db.get('images', rec.Image);
    if (!image) throw new NotFoundError(`No such image: ${rec.Config.Image}`);
    return containerTree(this.deps.db, this.deps.snapshots, rec.Id, image.chainIds);
  }
}
