// The filesystem a process sees: one tree of inodes over several mounts, with POSIX path
// resolution (symlinks, `..`) and the namespace operations. Every change is recorded on its
// mount as a touched path, so persist.ts can turn it into writable-layer or volume records.
import { E, fail } from './errno.ts';
import type { Mount } from './mount.ts';
import { Content, DirNode, FileNode, type FsNode, type Meta, nowNs, SymlinkNode } from './nodes.ts';

const MAX_SYMLINKS = 40;
const NAME_MAX = 255;

export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

export class ContainerFs {
  constructor(
    readonly root: DirNode,
    readonly mounts: Mount[],
    private readonly owner: Owner,
  ) {}

  /** A node's absolute path in the container (symlinks resolved, as getcwd reports it). */
  pathOf(node: FsNode): string {
    return this.mounts[0]!.pathOf(node);
  }

  /** Resolves `path` from `base` (absolute paths from the root); `follow` follows a final symlink. */
  resolve(base: DirNode, path: string, follow: boolean): FsNode {
    return this.walk(base, path, follow, { links: 0 });
  }

  private walk(base: DirNode, path: string, follow: boolean, seen: { links: number }): FsNode {
    if (path === '') fail(E.NOENT);
    const parts = path.split('/').filter((p) => p !== '');
    const dirOnly = path.endsWith('/');
    let cur: FsNode = path.startsWith('/') ? this.root : base;
    for (let i = 0; i < parts.length; i++) {
      if (cur.kind !== 'dir') fail(E.NOTDIR);
      const part = parts[i]!;
      if (part === '.') continue;
      if (part === '..') {
        cur = cur === this.root ? cur : (cur.parent ?? this.root);
        continue;
      }
      if (part.length > NAME_MAX) fail(E.NAMETOOLONG);
      let next: FsNode | undefined = cur.children.get(part);
      if (!next) fail(E.NOENT);
      const last = i === parts.length - 1;
      if (next.kind === 'symlink' && (!last || follow || dirOnly)) {
        if (++seen.links > MAX_SYMLINKS) fail(E.LOOP);
        next = this.walk(cur, next.target, true, seen);
      }
      cur = next;
    }
    if (dirOnly && cur.kind !== 'dir') fail(E.NOTDIR);
    return cur;
  }

  /** The directory that holds the last component of `path`, and that component. */
  parentOf(base: DirNode, path: string): { dir: DirNode; name: string } {
    const trimmed = path.replace(/\/+$/, '');
    if (trimmed === '') fail(path === '' ? E.NOENT : E.BUSY);
    const cut = trimmed.lastIndexOf('/');
    const name = trimmed.slice(cut + 1);
    if (name.length > NAME_MAX) fail(E.NAMETOOLONG);
    const dir = cut < 0 ? base : this.resolve(base, trimmed.slice(0, cut) || '/', true);
    if (dir.kind !== 'dir') fail(E.NOTDIR);
    if (name === '.' || name === '..') fail(E.INVAL);
    return { dir, name };
  }

  private newMeta(mode: number): Meta {
    const t = nowNs();
    return { mode, uid: this.owner.uid, gid: this.owner.gid, atime: t, mtime: t, ctime: t };
  }

  /** A new empty regular file `name` in `dir` (which must not have it). */
  createFile(dir: DirNode, name: string): FileNode {
    dir.mount.checkWritable();
    const content = new Content(undefined, 0);
    content.buf = new Uint8Array(0);
    content.dirty = true;
    const f = new FileNode(dir.mount, this.newMeta(0o644), content);
    this.attach(dir, name, f);
    return f;
  }

  mkdir(base: DirNode, path: string): void {
    const { dir, name } = this.parentOf(base, path);
    if (dir.children.has(name)) fail(E.EXIST);
    dir.mount.checkWritable();
    this.attach(dir, name, new DirNode(dir.mount, this.newMeta(0o755)));
  }

  /** `mkdir -p` without persisting: mount points and the like that exist only for this process. */
  ensureDir(path: string, mount: Mount): DirNode {
    let cur = this.root;
    for (const part of path.split('/').filter((p) => p !== '')) {
      const next = cur.children.get(part);
      if (next?.kind === 'dir') cur = next;
      else {
        const d = new DirNode(mount, this.newMeta(0o755));
        cur.add(part, d);
        cur = d;
      }
    }
    return cur;
  }

  symlink(target: string, base: DirNode, path: string): void {
    const { dir, name } = this.parentOf(base, path);
    if (dir.children.has(name)) fail(E.EXIST);
    dir.mount.checkWritable();
    this.attach(dir, name, new SymlinkNode(dir.mount, this.newMeta(0o777), target));
  }

  unlink(base: DirNode, path: string): void {
    const { dir, name } = this.parentOf(base, path);
    const node = dir.children.get(name);
    if (!node) fail(E.NOENT);
    if (node.kind === 'dir') fail(E.ISDIR);
    dir.mount.checkWritable();
    this.detach(node);
  }

  rmdir(base: DirNode, path: string): void {
    const { dir, name } = this.parentOf(base, path);
    const node = dir.children.get(name);
    if (!node) fail(E.NOENT);
    if (node.kind !== 'dir') fail(E.NOTDIR);
    if (node === node.mount.root) fail(E.BUSY);
    if (node.children.size) fail(E.NOTEMPTY);
    dir.mount.checkWritable();
    this.detach(node);
  }

  rename(oldBase: DirNode, oldPath: string, newBase: DirNode, newPath: string): void {
    const from = this.parentOf(oldBase, oldPath);
    const node = from.dir.children.get(from.name);
    if (!node) fail(E.NOENT);
    if (node === node.mount.root) fail(E.BUSY);
    const to = this.parentOf(newBase, newPath);
    if (to.dir.mount !== node.mount) fail(E.XDEV);
    const existing = to.dir.children.get(to.name);
    if (existing === node) return;
    if (node.kind === 'dir') {
      for (let d: DirNode | undefined = to.dir; d; d = d.parent) if (d === node) fail(E.INVAL);
    }
    if (existing) {
      if (existing === existing.mount.root) fail(E.BUSY);
      if (node.kind === 'dir' && existing.kind !== 'dir') fail(E.NOTDIR);
      if (node.kind !== 'dir' && existing.kind === 'dir') fail(E.ISDIR);
      if (existing.kind === 'dir' && existing.children.size) fail(E.NOTEMPTY);
    }
    node.mount.checkWritable();
    // A moved name stays a name of its hard-linked content.
    const linked = node.kind === 'file' && node.content.links.has(node);
    if (existing) this.detach(existing);
    this.detach(node);
    node.meta.ctime = nowNs();
    this.attach(to.dir, to.name, node);
    if (linked) node.content.link(node);
  }

  /** A hard link: a second name for the same content. */
  link(oldBase: DirNode, oldPath: string, follow: boolean, newBase: DirNode, newPath: string): void {
    const src = this.resolve(oldBase, oldPath, follow);
    if (src.kind === 'dir') fail(E.PERM);
    const to = this.parentOf(newBase, newPath);
    if (to.dir.children.has(to.name)) fail(E.EXIST);
    if (to.dir.mount !== src.mount) fail(E.XDEV);
    src.mount.checkWritable();
    if (src.kind === 'file') {
      const copy = new FileNode(src.mount, src.meta, src.content);
      src.content.link(src, copy);
      this.attach(to.dir, to.name, copy);
    } else if (src.kind === 'symlink') {
      this.attach(to.dir, to.name, new SymlinkNode(src.mount, { ...src.meta }, src.target));
    } else {
      fail(E.PERM);
    }
  }

  setTimes(node: FsNode, atime: bigint | undefined, mtime: bigint | undefined): void {
    node.mount.checkWritable();
    if (atime !== undefined) node.meta.atime = atime;
    if (mtime !== undefined) node.meta.mtime = mtime;
    node.meta.ctime = nowNs();
    node.mount.touch(node);
  }

  /** Records that a file's bytes changed (every hard link of it). */
  contentChanged(node: FileNode): void {
    const t = nowNs();
    node.meta.mtime = t;
    node.meta.ctime = t;
    if (node.content.links.size) for (const l of node.content.links) l.mount.touch(l);
    else node.mount.touch(node);
  }

  private attach(dir: DirNode, name: string, node: FsNode): void {
    dir.add(name, node);
    dir.meta.mtime = dir.meta.ctime = nowNs();
    dir.mount.touch(dir);
    node.mount.touchTree(node);
  }

  private detach(node: FsNode): void {
    const dir = node.parent!;
    node.mount.touchTree(node);
    dir.children.delete(node.name);
    if (node.kind === 'file') {
      node.content.unlink(node);
      // A remaining name may have been stored as a hard link to this one: it is stored again.
      for (const l of node.content.links) l.mount.touch(l);
    }
    dir.meta.mtime = dir.meta.ctime = nowNs();
    dir.mount.touch(dir);
  }
}
