// A 9P2000.L server over the container's filesystem view (node/fs: image snapshots, the
// writable layer and volumes, the same view WASI processes get), answering the guest's
// virtio-9p requests through v86's `handle9p`. The guest mounts it as its root with
// cache=loose, so reads and lookups mostly stay in the guest's caches.
import { isOutOfSpace } from '../../core/errors.ts';
import type { ContainerFs } from '../fs/container-fs.ts';
import { E, Errno } from '../fs/errno.ts';
import { type Content, type DirNode, type FileNode, type FsNode, nowNs, SpecialNode } from '../fs/nodes.ts';

/** What the server needs besides the tree: file bytes and persistence. */
export interface P9Backend {
  readonly fs: ContainerFs;
  /** Bytes [offset, offset+count) of a file that is not loaded in memory. */
  readStored(content: Content, offset: number, count: number): Promise<Uint8Array>;
  /** Loads a file's bytes into `content.buf` (before a write or truncate). */
  load(content: Content): Promise<void>;
  /** Something changed: persist soon. */
  changed(): void;
  /** Persist now (fsync). */
  sync(): Promise<void>;
  /** Throws ENOSPC while the last commit found the quota full, as a full disk refuses writes. */
  checkSpace(): void;
}

// Linux errno values the guest expects.
const L = {
  PERM: 1,
  NOENT: 2,
  IO: 5,
  BADF: 9,
  ACCES: 13,
  BUSY: 16,
  EXIST: 17,
  XDEV: 18,
  NOTDIR: 20,
  ISDIR: 21,
  INVAL: 22,
  ROFS: 30,
  NOSPC: 28,
  NAMETOOLONG: 36,
  NOTEMPTY: 39,
  LOOP: 40,
  NOTSUP: 95,
} as const;
const FROM_WASI = new Map<number, number>([
  [E.ACCES, L.ACCES],
  [E.BADF, L.BADF],
  [E.BUSY, L.BUSY],
  [E.EXIST, L.EXIST],
  [E.INVAL, L.INVAL],
  [E.IO, L.IO],
  [E.ISDIR, L.ISDIR],
  [E.LOOP, L.LOOP],
  [E.NAMETOOLONG, L.NAMETOOLONG],
  [E.NOENT, L.NOENT],
  [E.NOSPC, L.NOSPC],
  [E.NOTDIR, L.NOTDIR],
  [E.NOTEMPTY, L.NOTEMPTY],
  [E.NOTSUP, L.NOTSUP],
  [E.PERM, L.PERM],
  [E.ROFS, L.ROFS],
  [E.XDEV, L.XDEV],
]);

/** The Linux errno a failure means to the guest; undefined for an unexpected one (EIO, logged). */
function guestErrno(e: unknown): number | undefined {
  if (e instanceof P9Error) return e.errno;
  if (e instanceof Errno) return FROM_WASI.get(e.code) ?? L.IO;
  if (isOutOfSpace(e)) return L.NOSPC;
  return undefined;
}

class P9Error extends Error {
  constructor(readonly errno: number) {
    super(`9p errno ${errno}`);
  }
}
const err = (errno: number): never => {
  throw new P9Error(errno);
};

const S_IFMT = 0o170000;
const TYPE_BITS = { file: 0o100000, dir: 0o040000, symlink: 0o120000, char: 0o020000, block: 0o060000, fifo: 0o010000 } as const;
const DT = { file: 8, dir: 4, symlink: 10, char: 2, block: 6, fifo: 1 } as const;
const QT = { dir: 0x80, symlink: 0x02, file: 0 } as const;
const O_TRUNC = 0o1000;
const AT_REMOVEDIR = 0x200;
const SETATTR = { MODE: 1, UID: 2, GID: 4, SIZE: 8, ATIME: 0x10, MTIME: 0x20, CTIME: 0x40, ATIME_SET: 0x80, MTIME_SET: 0x100 };
const MAX_MSIZE = 1 << 20;

interface Fid {
  node: FsNode;
  /** The user the guest attached as: owner of what this fid creates. */
  readonly uid: number;
  /** A directory listing taken at the first read, so removals while listing skip nothing. */
  listing?: { name: string; node: FsNode }[];
  wrote?: boolean;
}

function kindOf(n: FsNode): keyof typeof TYPE_BITS {
  return n.kind === 'special' ? n.type : n.kind;
}

/** Little-endian request reader. */
class Reader {
  private at = 7;
  private readonly v: DataView;
  constructor(private readonly b: Uint8Array) {
    this.v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  u8(): number {
    return this.v.getUint8(this.at++);
  }
  u16(): number {
    const x = this.v.getUint16(this.at, true);
    this.at += 2;
    return x;
  }
  u32(): number {
    const x = this.v.getUint32(this.at, true);
    this.at += 4;
    return x;
  }
  u64(): number {
    const x = this.v.getBigUint64(this.at, true);
    this.at += 8;
    return Number(x);
  }
  str(): string {
    const n = this.u16();
    const s = new TextDecoder().decode(this.b.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
  bytes(n: number): Uint8Array {
    const s = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return s;
  }
}

/** Little-endian reply writer; grows as needed. */
class Writer {
  buf = new Uint8Array(256);
  len = 7;
  private v = new DataView(this.buf.buffer);
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    b.set(this.buf);
    this.buf = b;
    this.v = new DataView(b.buffer);
  }
  u8(x: number): this {
    this.room(1);
    this.v.setUint8(this.len++, x);
    return this;
  }
  u16(x: number): this {
    this.room(2);
    this.v.setUint16(this.len, x, true);
    this.len += 2;
    return this;
  }
  u32(x: number): this {
    this.room(4);
    this.v.setUint32(this.len, x >>> 0, true);
    this.len += 4;
    return this;
  }
  u64(x: number | bigint): this {
    this.room(8);
    this.v.setBigUint64(this.len, BigInt.asUintN(64, BigInt(x)), true);
    this.len += 8;
    return this;
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    this.u16(b.length);
    return this.bytes(b);
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  qid(n: FsNode): this {
    const k = n.kind === 'special' ? 'file' : n.kind;
    return this.u8(QT[k]).u32(0).u64(n.ino);
  }
  finish(type: number, tag: number): Uint8Array {
    const v = new DataView(this.buf.buffer);
    v.setUint32(0, this.len, true);
    v.setUint8(4, type);
    v.setUint16(5, tag, true);
    return this.buf.slice(0, this.len);
  }
}

export class P9Server {
  private readonly fids = new Map<number, Fid>();
  private readonly inflight = new Map<number, Promise<void>>();
  private msize = 8192;
  private readonly enc = new TextEncoder();

  constructor(private readonly b: P9Backend) {}

  /** v86's `handle9p`: one request in, one reply out (possibly later). */
  readonly handle = (req: Uint8Array, reply: (b: Uint8Array) => void): void => {
    const type = req[4]!;
    const tag = req[5]! | (req[6]! << 8);
    const work = this.dispatch(type, new Reader(req))
      .then((w) => w.finish(type + 1, tag))
      .catch((e: unknown) => {
        const errno = guestErrno(e);
        if (errno === undefined) console.error('9p: request', type, 'failed:', e);
        return new Writer().u32(errno ?? L.IO).finish(7, tag);
      })
      .then((r) => {
        this.inflight.delete(tag);
        reply(r);
      });
    this.inflight.set(tag, work);
  };

  private fid(n: number): Fid {
    return this.fids.get(n) ?? err(L.BADF);
  }

  private dir(n: number): DirNode {
    const f = this.fid(n);
    return f.node.kind === 'dir' ? f.node : err(L.NOTDIR);
  }

  private async dispatch(type: number, r: Reader): Promise<Writer> {
    const w = new Writer();
    switch (type) {
      case 100: {
        // Tversion: msize, version
        this.msize = Math.min(r.u32(), MAX_MSIZE);
        const version = r.str();
        this.fids.clear();
        return w.u32(this.msize).str(version === '9P2000.L' ? version : 'unknown');
      }
      case 104: {
        // Tattach: fid, afid, uname, aname, n_uname
        const fid = r.u32();
        r.u32();
        r.str();
        r.str();
        const uid = r.u32();
        this.fids.set(fid, { node: this.b.fs.root, uid: uid === 0xffffffff ? 0 : uid });
        return w.qid(this.b.fs.root);
      }
      case 108: {
        // Tflush: answer after the flushed request's own reply, so its tag is free again.
        await this.inflight.get(r.u16());
        return w;
      }
      case 110: {
        // Twalk: fid, newfid, nwname, names
        const from = this.fid(r.u32());
        const newfid = r.u32();
        const names = Array.from({ length: r.u16() }, () => r.str());
        let node = from.node;
        const qids: FsNode[] = [];
        for (const name of names) {
          const next =
            node.kind !== 'dir' ? undefined : name === '..' ? (node === this.b.fs.root ? node : node.parent) : name === '.' ? node : node.children.get(name);
          if (!next) {
            if (qids.length === 0) err(node.kind === 'dir' ? L.NOENT : L.NOTDIR);
            break;
          }
          node = next;
          qids.push(node);
        }
        if (qids.length === names.length) this.fids.set(newfid, { node, uid: from.uid });
        w.u16(qids.length);
        for (const q of qids) w.qid(q);
        return w;
      }
      case 120: {
        // Tclunk
        const n = r.u32();
        const f = this.fids.get(n);
        this.fids.delete(n);
        if (f?.wrote) this.b.changed();
        return w;
      }
      case 12: {
        // Tlopen: fid, flags
        const f = this.fid(r.u32());
        const flags = r.u32();
        if (f.node.kind === 'file' && flags & O_TRUNC) await this.truncate(f, f.node, 0);
        f.listing = undefined;
        return w.qid(f.node).u32(this.msize - 24);
      }
      case 14: {
        // Tlcreate: fid (a directory, becomes the new file), name, flags, mode, gid
        const f = this.fid(r.u32());
        const dir = f.node.kind === 'dir' ? f.node : err(L.NOTDIR);
        const name = r.str();
        r.u32();
        const mode = r.u32();
        const gid = r.u32();
        if (dir.children.has(name)) err(L.EXIST);
        const file = this.b.fs.createFile(dir, name);
        this.own(file, mode, f.uid, gid);
        f.node = file;
        f.wrote = true;
        this.b.changed();
        return w.qid(file).u32(this.msize - 24);
      }
      case 72: {
        // Tmkdir: dfid, name, mode, gid
        const f = this.fid(r.u32());
        const dir = f.node.kind === 'dir' ? f.node : err(L.NOTDIR);
        const name = r.str();
        const mode = r.u32();
        const gid = r.u32();
        this.b.fs.mkdir(dir, name);
        const made = dir.children.get(name)!;
        this.own(made, mode, f.uid, gid);
        this.b.changed();
        return w.qid(made);
      }
      case 16: {
        // Tsymlink: fid, name, target, gid
        const f = this.fid(r.u32());
        const dir = f.node.kind === 'dir' ? f.node : err(L.NOTDIR);
        const name = r.str();
        const target = r.str();
        const gid = r.u32();
        this.b.fs.symlink(target, dir, name);
        const made = dir.children.get(name)!;
        this.own(made, 0o777, f.uid, gid);
        this.b.changed();
        return w.qid(made);
      }
      case 18: {
        // Tmknod: dfid, name, mode, major, minor, gid
        const f = this.fid(r.u32());
        const dir = f.node.kind === 'dir' ? f.node : err(L.NOTDIR);
        const name = r.str();
        const mode = r.u32();
        r.u32();
        r.u32();
        const gid = r.u32();
        const type = ({ [TYPE_BITS.char]: 'char', [TYPE_BITS.block]: 'block', [TYPE_BITS.fifo]: 'fifo' } as const)[mode & S_IFMT];
        if (!type) err(L.NOTSUP); // sockets: the tree cannot hold them
        if (dir.children.has(name)) err(L.EXIST);
        dir.mount.checkWritable();
        const t = nowNs();
        const node = new SpecialNode(dir.mount, { mode: mode & 0o7777, uid: f.uid, gid, atime: t, mtime: t, ctime: t }, type!);
        dir.add(name, node);
        dir.meta.mtime = dir.meta.ctime = t;
        dir.mount.touch(dir);
        dir.mount.touch(node);
        this.b.changed();
        return w.qid(node);
      }
      case 70: {
        // Tlink: dfid, fid, name
        const dir = this.dir(r.u32());
        const src = this.fid(r.u32()).node;
        const name = r.str();
        if (!src.parent) err(L.NOENT);
        this.b.fs.link(src.parent!, src.name, false, dir, name);
        this.b.changed();
        return w;
      }
      case 74: {
        // Trenameat: olddirfid, oldname, newdirfid, newname
        const from = this.dir(r.u32());
        const oldName = r.str();
        const to = this.dir(r.u32());
        this.b.fs.rename(from, oldName, to, r.str());
        this.b.changed();
        return w;
      }
      case 20: {
        // Trename: fid, dfid, name
        const node = this.fid(r.u32()).node;
        const to = this.dir(r.u32());
        if (!node.parent) err(L.NOENT);
        this.b.fs.rename(node.parent!, node.name, to, r.str());
        this.b.changed();
        return w;
      }
      case 76: {
        // Tunlinkat: dirfid, name, flags
        const dir = this.dir(r.u32());
        const name = r.str();
        if (r.u32() & AT_REMOVEDIR) this.b.fs.rmdir(dir, name);
        else this.b.fs.unlink(dir, name);
        this.b.changed();
        return w;
      }
      case 122: {
        // Tremove: fid (clunked whatever happens)
        const n = r.u32();
        const f = this.fid(n);
        this.fids.delete(n);
        const parent = f.node.parent ?? err(L.BUSY);
        if (f.node.kind === 'dir') this.b.fs.rmdir(parent, f.node.name);
        else this.b.fs.unlink(parent, f.node.name);
        this.b.changed();
        return w;
      }
      case 22: {
        // Treadlink
        const n = this.fid(r.u32()).node;
        return w.str(n.kind === 'symlink' ? n.target : err(L.INVAL));
      }
      case 24: {
        // Tgetattr: fid, request mask
        const n = this.fid(r.u32()).node;
        return this.attr(w, n);
      }
      case 26:
        await this.setattr(r);
        return w;
      case 40:
        return this.readdir(r, w);
      case 116: {
        // Tread: fid, offset, count
        const f = this.fid(r.u32());
        const offset = r.u64();
        const count = Math.min(r.u32(), this.msize - 11);
        const n = f.node.kind === 'file' ? f.node : err(L.ISDIR);
        const c = n.content;
        const end = Math.min(c.size, offset + count);
        const data = end <= offset ? new Uint8Array(0) : c.loaded ? c.buf!.subarray(offset, end) : await this.b.readStored(c, offset, end - offset);
        return w.u32(data.length).bytes(data);
      }
      case 118: {
        // Twrite: fid, offset, count, data
        const f = this.fid(r.u32());
        const offset = r.u64();
        const data = r.bytes(r.u32());
        const n = f.node.kind === 'file' ? f.node : err(L.ISDIR);
        n.mount.checkWritable();
        this.b.checkSpace();
        if (!n.content.loaded) await this.b.load(n.content);
        n.content.write(data, offset);
        this.b.fs.contentChanged(n);
        f.wrote = true;
        return w.u32(data.length);
      }
      case 8:
        // Tstatfs: V9FS_MAGIC, 4 KiB blocks, a generous quota the browser enforces anyway
        return w
          .u32(0x01021997)
          .u32(4096)
          .u64(1 << 22)
          .u64(1 << 21)
          .u64(1 << 21)
          .u64(1 << 20)
          .u64(1 << 19)
          .u64(0)
          .u32(255);
      case 50:
        // Tfsync: durable means in IndexedDB
        this.fid(r.u32());
        await this.b.sync();
        return w;
      case 52:
        // Tlock: one guest, whose kernel already arbitrates between its processes
        this.fid(r.u32());
        return w.u8(0);
      case 54: {
        // Tgetlock: fid, type, start, length, proc_id, client_id -> unlocked
        this.fid(r.u32());
        r.u8();
        const start = r.u64();
        const length = r.u64();
        const pid = r.u32();
        return w.u8(2).u64(start).u64(length).u32(pid).str(r.str());
      }
      case 30: // Txattrwalk
      case 32: // Txattrcreate
        err(L.NOTSUP);
        break;
      default:
        err(L.NOTSUP);
    }
    return w;
  }

  private own(n: FsNode, mode: number, uid: number, gid: number): void {
    n.meta.mode = mode & 0o7777;
    n.meta.uid = uid;
    n.meta.gid = gid;
  }

  private attr(w: Writer, n: FsNode): Writer {
    const m = n.meta;
    const size = n.kind === 'file' ? n.content.size : n.kind === 'symlink' ? this.enc.encode(n.target).length : n.kind === 'dir' ? 4096 : 0;
    let nlink = 1;
    if (n.kind === 'file') nlink = Math.max(1, n.content.links.size);
    else if (n.kind === 'dir') {
      nlink = 2;
      for (const c of n.children.values()) if (c.kind === 'dir') nlink++;
    }
    const ts = (t: bigint) => [t / 1_000_000_000n, t % 1_000_000_000n] as const;
    const [as, an] = ts(m.atime);
    const [ms, mn] = ts(m.mtime);
    const [cs, cn] = ts(m.ctime);
    return w
      .u64(0x7ff) // valid: the basic stat fields
      .qid(n)
      .u32(TYPE_BITS[kindOf(n)] | (m.mode & 0o7777))
      .u32(m.uid)
      .u32(m.gid)
      .u64(nlink)
      .u64(0) // rdev: the tree keeps no device numbers
      .u64(size)
      .u64(4096)
      .u64(Math.ceil(size / 512))
      .u64(as)
      .u64(an)
      .u64(ms)
      .u64(mn)
      .u64(cs)
      .u64(cn)
      .u64(0)
      .u64(0)
      .u64(0)
      .u64(0);
  }

  private async setattr(r: Reader): Promise<void> {
    const f = this.fid(r.u32());
    const valid = r.u32();
    const mode = r.u32();
    const uid = r.u32();
    const gid = r.u32();
    const size = r.u64();
    const atime = BigInt(r.u64()) * 1_000_000_000n + BigInt(r.u64());
    const mtime = BigInt(r.u64()) * 1_000_000_000n + BigInt(r.u64());
    const n = f.node;
    n.mount.checkWritable();
    if (valid & SETATTR.SIZE) {
      if (n.kind !== 'file') err(n.kind === 'dir' ? L.ISDIR : L.INVAL);
      await this.truncate(f, n as FileNode, size);
    }
    const m = n.meta;
    const now = nowNs();
    if (valid & SETATTR.MODE) m.mode = mode & 0o7777;
    if (valid & SETATTR.UID) m.uid = uid;
    if (valid & SETATTR.GID) m.gid = gid;
    if (valid & SETATTR.ATIME) m.atime = valid & SETATTR.ATIME_SET ? atime : now;
    if (valid & SETATTR.MTIME) m.mtime = valid & SETATTR.MTIME_SET ? mtime : now;
    m.ctime = now;
    // Hard links share their metadata, so every name of the file changed.
    if (n.kind === 'file' && n.content.links.size) for (const l of n.content.links) l.mount.touch(l);
    else n.mount.touch(n);
    this.b.changed();
  }

  private async truncate(f: Fid, n: FileNode, size: number): Promise<void> {
    n.mount.checkWritable();
    if (size === n.content.size) return;
    if (!n.content.loaded) {
      if (size === 0) n.content.buf = new Uint8Array(0);
      else await this.b.load(n.content);
    }
    n.content.resize(size);
    this.b.fs.contentChanged(n);
    f.wrote = true;
  }

  private readdir(r: Reader, w: Writer): Writer {
    // Treaddir: fid, offset (an index into the listing), count
    const f = this.fid(r.u32());
    const offset = r.u64();
    const count = Math.min(r.u32(), this.msize - 11);
    const dir = f.node.kind === 'dir' ? f.node : err(L.NOTDIR);
    if (offset === 0 || !f.listing) {
      f.listing = [
        { name: '.', node: dir },
        { name: '..', node: dir === this.b.fs.root ? dir : (dir.parent ?? dir) },
        ...[...dir.children].map(([name, node]) => ({ name, node })),
      ];
    }
    w.u32(0);
    const start = w.len;
    for (let i = offset; i < f.listing.length; i++) {
      const e = f.listing[i]!;
      const name = this.enc.encode(e.name);
      if (w.len - start + 13 + 8 + 1 + 2 + name.length > count) break;
      w.qid(e.node)
        .u64(i + 1)
        .u8(DT[kindOf(e.node)])
        .u16(name.length)
        .bytes(name);
    }
    new DataView(w.buf.buffer).setUint32(7, w.len - start, true);
    return w;
  }
}
