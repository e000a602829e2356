// The in-memory inodes of a process's filesystem view. Built from layer metadata at start;
// file bytes stay in IndexedDB until a file is opened (see content-loader.ts).
import type { PackSlice } from '../../core/store/db.ts';
import type { StoredHint } from './content-loader.ts';
import type { Mount } from './mount.ts';

let nextIno = 1;
const NO_LINKS: ReadonlySet<never> = new Set();

/** What a file holds: stored content (by sha256) and, once loaded or written, its bytes. */
export class Content {
  readonly ino = nextIno++;
  /** Bytes; `buf.length` may exceed `size` (room to grow). Undefined until loaded. */
  buf: Uint8Array | undefined;
  /** True when `buf` differs from the stored content `sha`. */
  dirty = false;
  /** Bumped by every change, so a flush knows whether what it stored is still current. */
  version = 0;
  /** Made on the first hard link: most files never have one, and a view holds thousands. */
  private linkSet: Set<FileNode> | undefined;

  constructor(
    /** sha256 (hex) of the stored content; undefined for content never stored. */
    public sha: string | undefined,
    public size: number,
    /** Where the stored content was written, when known: saves looking it up (see PackSlice). */
    public at?: PackSlice,
  ) {}

  /** The names sharing this content once it is hard-linked (empty otherwise). */
  get links(): ReadonlySet<FileNode> {
    return this.linkSet ?? NO_LINKS;
  }

  /** Records that `names` share this content. */
  link(...names: FileNode[]): void {
    this.linkSet ??= new Set();
    for (const n of names) this.linkSet.add(n);
  }

  unlink(name: FileNode): void {
    this.linkSet?.delete(name);
  }

  /** Where the stored content is, for the loader, when the entry said. */
  hint(): StoredHint | undefined {
    return this.at && { size: this.size, at: this.at };
  }

  get loaded(): boolean {
    return this.buf !== undefined;
  }

  /** The current bytes (only when loaded). */
  bytes(): Uint8Array {
    return this.buf!.subarray(0, this.size);
  }

  /** Sets the size, keeping bytes below it and zero-filling above (ftruncate). */
  resize(size: number): void {
    const buf = this.buf!;
    if (size > buf.length) {
      const grown = new Uint8Array(Math.max(size, buf.length * 2, 4096));
      grown.set(buf.subarray(0, this.size));
      this.buf = grown;
    } else if (size > this.size) {
      buf.fill(0, this.size, size);
    }
    this.size = size;
    this.dirty = true;
    this.version++;
  }

  write(data: Uint8Array, at: number): void {
    const end = at + data.length;
    if (end > this.size) this.resize(end);
    this.buf!.set(data, at);
    this.dirty = true;
    this.version++;
  }
}

export interface Meta {
  mode: number;
  uid: number;
  gid: number;
  /** Nanoseconds since the epoch. */
  atime: bigint;
  mtime: bigint;
  ctime: bigint;
}

abstract class BaseNode {
  /** The directory holding this node; a mount's root points at the directory it is mounted in. */
  parent: DirNode | undefined;
  name = '';

  constructor(
    public mount: Mount,
    public meta: Meta,
    readonly ino: number = nextIno++,
  ) {}
}

export class FileNode extends BaseNode {
  readonly kind = 'file';
  constructor(
    mount: Mount,
    meta: Meta,
    public content: Content,
  ) {
    // Hard links are one inode (stat, and the 9p qid by which a guest caches it).
    super(mount, meta, content.ino);
  }
}

export class DirNode extends BaseNode {
  readonly kind = 'dir';
  readonly children = new Map<string, FsNode>();

  add(name: string, node: FsNode): void {
    node.parent = this;
    node.name = name;
    this.children.set(name, node);
  }
}

export class SymlinkNode extends BaseNode {
  readonly kind = 'symlink';
  constructor(
    mount: Mount,
    meta: Meta,
    public target: string,
  ) {
    super(mount, meta);
  }
}

/** Device nodes and fifos: listed and stat-able, never opened (nothing in a browser backs them). */
export class SpecialNode extends BaseNode {
  readonly kind = 'special';
  constructor(
    mount: Mount,
    meta: Meta,
    readonly type: 'char' | 'block' | 'fifo',
  ) {
    super(mount, meta);
  }
}

export type FsNode = FileNode | DirNode | SymlinkNode | SpecialNode;

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

let lastSeconds = NaN;
let lastNs = 0n;

/** Metadata of a layer entry (seconds → nanoseconds; image files mostly share one time). */
export function metaOf(e: { mode: number; uid: number; gid: number; mtime: number }): Meta {
  if (e.mtime !== lastSeconds) {
    lastSeconds = e.mtime;
    lastNs = BigInt(Math.floor(e.mtime)) * 1_000_000_000n;
  }
  return { mode: e.mode, uid: e.uid, gid: e.gid, atime: lastNs, mtime: lastNs, ctime: lastNs };
}
