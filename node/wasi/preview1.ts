// wasi_snapshot_preview1 over the container filesystem. It replaces the shim's syscall layer
// (synchronous, in-memory, throwing strings) and keeps its ABI constants. Syscalls that may
// wait return a promise: under JSPI (WebAssembly.Suspending) the module suspends until it
// settles; without JSPI they never need to (contents are preloaded, stdin collected up front,
// persistence deferred to exit, sleeps block the Worker).
import { wasi } from '@bjorn3/browser_wasi_shim';
import { isOutOfSpace } from '../../core/errors.ts';
import type { ContainerFs } from '../fs/container-fs.ts';
import type { ContentLoader } from '../fs/content-loader.ts';
import { E, Errno, fail } from '../fs/errno.ts';
import { type FileNode, type FsNode, nowNs } from '../fs/nodes.ts';
import * as abi from './abi.ts';
import { blockFor } from './block.ts';
import { DirFd, FdTable, FileFd, ListenFd, type OpenFd, SocketFd, StdioFd } from './fd-table.ts';
import type { PauseGate } from './pause-gate.ts';
import type { SocketHub } from './socket-hub.ts';
import type { StdinQueue } from './stdin-queue.ts';
import { type MayWait, type ParamType, type Signature, type SuspendingImports, suspendOnlyWhenWaiting } from './suspend-trampoline.ts';

/** The module called proc_exit (or raised a signal): unwinds it with its exit status. */
export class ProcExit extends Error {
  constructor(
    readonly code: number,
    readonly signal?: number,
  ) {
    super(signal ? `killed by signal ${signal}` : `exit ${code}`);
  }
}

export interface WasiHost {
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly fs: ContainerFs;
  readonly loader: ContentLoader;
  readonly stdin: StdinQueue;
  /** The listening sockets (fds 4 on) and their connections. */
  readonly sockets: SocketHub;
  readonly tty: boolean;
  /** Whether a syscall may suspend the module (JSPI). */
  readonly jspi: boolean;
  /** Holds the process at its next syscall while it is paused (JSPI only: nothing can wait without it). */
  readonly gate?: PauseGate;
  /** Sends output; a promise when the process must wait before writing more (flow control). */
  output(stream: 1 | 2, data: Uint8Array): Promise<void> | undefined;
  /** Writes every mount's changes to IndexedDB; `durable` (fsync) waits for the disk. */
  persist(durable: boolean): Promise<void>;
  /** A file of `bytes` was closed: its changes go in the next batch; a promise when the close must wait. */
  persistSoon(bytes: number): Promise<void> | undefined;
  /** A message from the runtime to the process's stderr. */
  notice(message: string): void;
}

const i32 = 'i32';
const i64 = 'i64';
const sig = (...params: ParamType[]): Signature => ({ params, errno: true });

/** Every syscall's wasm type: under JSPI each goes through the trampoline, so each may wait. */
const SIGNATURES = {
  args_get: sig(i32, i32),
  args_sizes_get: sig(i32, i32),
  environ_get: sig(i32, i32),
  environ_sizes_get: sig(i32, i32),
  clock_res_get: sig(i32, i32),
  clock_time_get: sig(i32, i64, i32),
  fd_advise: sig(i32, i64, i64, i32),
  fd_allocate: sig(i32, i64, i64),
  fd_close: sig(i32),
  fd_datasync: sig(i32),
  fd_fdstat_get: sig(i32, i32),
  fd_fdstat_set_flags: sig(i32, i32),
  fd_fdstat_set_rights: sig(i32, i64, i64),
  fd_filestat_get: sig(i32, i32),
  fd_filestat_set_size: sig(i32, i64),
  fd_filestat_set_times: sig(i32, i64, i64, i32),
  fd_pread: sig(i32, i32, i32, i64, i32),
  fd_prestat_get: sig(i32, i32),
  fd_prestat_dir_name: sig(i32, i32, i32),
  fd_pwrite: sig(i32, i32, i32, i64, i32),
  fd_read: sig(i32, i32, i32, i32),
  fd_readdir: sig(i32, i32, i32, i64, i32),
  fd_renumber: sig(i32, i32),
  fd_seek: sig(i32, i64, i32, i32),
  fd_sync: sig(i32),
  fd_tell: sig(i32, i32),
  fd_write: sig(i32, i32, i32, i32),
  path_create_directory: sig(i32, i32, i32),
  path_filestat_get: sig(i32, i32, i32, i32, i32),
  path_filestat_set_times: sig(i32, i32, i32, i32, i64, i64, i32),
  path_link: sig(i32, i32, i32, i32, i32, i32, i32),
  path_open: sig(i32, i32, i32, i32, i32, i64, i64, i32, i32),
  path_readlink: sig(i32, i32, i32, i32, i32, i32),
  path_remove_directory: sig(i32, i32, i32),
  path_rename: sig(i32, i32, i32, i32, i32, i32),
  path_symlink: sig(i32, i32, i32, i32, i32),
  path_unlink_file: sig(i32, i32, i32),
  poll_oneoff: sig(i32, i32, i32, i32),
  proc_exit: { params: [i32], errno: false },
  proc_raise: sig(i32),
  sched_yield: sig(),
  random_get: sig(i32, i32),
  sock_accept: sig(i32, i32, i32),
  sock_recv: sig(i32, i32, i32, i32, i32, i32),
  sock_send: sig(i32, i32, i32, i32, i32),
  sock_shutdown: sig(i32, i32),
} satisfies Record<string, Signature>;

type Ret = number | Promise<number>;
type Syscall = (...args: (number | bigint)[]) => Ret;

const SYSCALLS = Object.keys(SIGNATURES) as (keyof typeof SIGNATURES)[];

/** Names of every import this runtime provides under `wasi_snapshot_preview1`. */
export const PROVIDED: ReadonlySet<string> = new Set(SYSCALLS);

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const READ = BigInt(wasi.RIGHTS_FD_READ);
const WRITE = BigInt(wasi.RIGHTS_FD_WRITE);
const SOCKET_RIGHTS = abi.STDIO_RIGHTS | BigInt(wasi.RIGHTS_SOCK_SHUTDOWN) | BigInt(wasi.RIGHTS_FD_FILESTAT_GET) | (1n << 29n); // 1 << 29: sock_accept

function errnoOf(e: unknown): number {
  if (e instanceof Errno) return e.code;
  throw e;
}

function monotonicNs(): bigint {
  return BigInt(Math.round(performance.now() * 1e6));
}

function realtimeNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

function filetypeOf(n: FsNode): number {
  switch (n.kind) {
    case 'file':
      return wasi.FILETYPE_REGULAR_FILE;
    case 'dir':
      return wasi.FILETYPE_DIRECTORY;
    case 'symlink':
      return wasi.FILETYPE_SYMBOLIC_LINK;
    case 'special':
      return n.type === 'block' ? wasi.FILETYPE_BLOCK_DEVICE : n.type === 'char' ? wasi.FILETYPE_CHARACTER_DEVICE : wasi.FILETYPE_UNKNOWN;
  }
}

export class Preview1 {
  memory!: WebAssembly.Memory;
  private readonly fds: FdTable;
  private buffer: ArrayBuffer | undefined;
  private view!: DataView;
  private u8!: Uint8Array;
  private readonly noticed = new Set<string>();
  /** Syscalls that suspended the module (JSPI). */
  waits = 0;
  private suspending: SuspendingImports | undefined;

  constructor(private readonly h: WasiHost) {
    const root = new DirFd(h.fs.root, abi.ALL_RIGHTS, abi.ALL_RIGHTS, '/');
    const listening = h.sockets.listeners.map((l) => new ListenFd(l, 0));
    this.fds = new FdTable([new StdioFd(0), new StdioFd(1), new StdioFd(2)], root, listening);
  }

  /** The import object: errno for every failure, suspension where JSPI is used. */
  imports(): Record<string, unknown> {
    const calls: Record<string, MayWait> = {};
    const table = this as unknown as Record<string, Syscall>;
    const gate = this.h.gate;
    for (const name of SYSCALLS) {
      const impl = table[name]!.bind(this);
      const run = (args: (number | bigint)[]): Ret => {
        try {
          const r = impl(...args);
          if (typeof r === 'number') return r;
          if (!this.h.jspi) throw new Error(`${name} would have to wait, which needs JSPI`);
          this.waits++;
          return r.catch(errnoOf);
        } catch (e) {
          return errnoOf(e);
        }
      };
      calls[name] = (...args: (number | bigint)[]): Ret => {
        // Pointers and sizes are u32; wasm hands them to JS as signed i32.
        for (let i = 0; i < args.length; i++) if (typeof args[i] === 'number') args[i] = (args[i] as number) >>> 0;
        const held = gate?.enter();
        return held ? held.then(() => run(args)) : run(args);
      };
    }
    if (!this.h.jspi) return calls;
    this.suspending = suspendOnlyWhenWaiting(calls, SIGNATURES);
    return this.suspending.imports;
  }

  /** The module is done with its imports: what it held of the Worker's goes back (JSPI). */
  release(): void {
    this.suspending?.release();
  }

  private mem(): DataView {
    if (this.memory.buffer !== this.buffer) {
      this.buffer = this.memory.buffer;
      this.view = new DataView(this.buffer);
      this.u8 = new Uint8Array(this.buffer);
    }
    return this.view;
  }

  private str(ptr: number, len: number): string {
    this.mem();
    return decoder.decode(this.u8.subarray(ptr, ptr + len));
  }

  private iovecs(ptr: number, n: number): [buf: number, len: number][] {
    const v = this.mem();
    const out: [number, number][] = [];
    for (let i = 0; i < n; i++) out.push([v.getUint32(ptr + 8 * i, true), v.getUint32(ptr + 8 * i + 4, true)]);
    return out;
  }

  private file(fd: number): FileFd {
    const f = this.fds.get(fd);
    if (f.kind === 'file') return f;
    return fail(f.kind === 'dir' ? E.ISDIR : E.SPIPE);
  }

  private stat(n: FsNode): abi.Filestat {
    const m = n.meta;
    const size = n.kind === 'file' ? n.content.size : n.kind === 'symlink' ? encoder.encode(n.target).length : n.kind === 'dir' ? 4096 : 0;
    const nlink = n.kind === 'file' ? Math.max(1, n.content.links.size) : 1;
    return {
      dev: n.mount.dev,
      ino: BigInt(n.ino),
      filetype: filetypeOf(n),
      nlink: BigInt(nlink),
      size: BigInt(size),
      atim: m.atime,
      mtim: m.mtime,
      ctim: m.ctime,
    };
  }

  private writeList(list: readonly string[], ptrs: number, buf: number): number {
    const v = this.mem();
    for (const s of list) {
      v.setUint32(ptrs, buf, true);
      ptrs += 4;
      const b = encoder.encode(s);
      this.u8.set(b, buf);
      this.u8[buf + b.length] = 0;
      buf += b.length + 1;
    }
    return 0;
  }

  private sizes(list: readonly string[], countPtr: number, sizePtr: number): number {
    const v = this.mem();
    v.setUint32(countPtr, list.length, true);
    v.setUint32(
      sizePtr,
      list.reduce((n, s) => n + encoder.encode(s).length + 1, 0),
      true,
    );
    return 0;
  }

  args_get(argv: number, buf: number): number {
    return this.writeList(this.h.args, argv, buf);
  }
  args_sizes_get(count: number, size: number): number {
    return this.sizes(this.h.args, count, size);
  }
  environ_get(env: number, buf: number): number {
    return this.writeList(this.h.env, env, buf);
  }
  environ_sizes_get(count: number, size: number): number {
    return this.sizes(this.h.env, count, size);
  }

  clock_res_get(id: number, ptr: number): number {
    if (id > wasi.CLOCKID_THREAD_CPUTIME_ID) return E.INVAL;
    this.mem().setBigUint64(ptr, 1000n, true);
    return 0;
  }

  clock_time_get(id: number, _precision: bigint, ptr: number): number {
    if (id > wasi.CLOCKID_THREAD_CPUTIME_ID) return E.INVAL;
    this.mem().setBigUint64(ptr, id === wasi.CLOCKID_REALTIME ? realtimeNs() : monotonicNs(), true);
    return 0;
  }

  fd_advise(fd: number): number {
    this.file(fd);
    return 0;
  }

  fd_allocate(fd: number, offset: bigint, len: bigint): number {
    const f = this.file(fd);
    if (!f.writable) return E.BADF;
    const end = Number(offset + len);
    if (end > f.node.content.size) {
      f.node.content.resize(end);
      this.h.fs.contentChanged(f.node);
    }
    return 0;
  }

  fd_close(fd: number): Ret {
    const f = this.fds.remove(fd);
    if (f.kind === 'socket') this.h.sockets.closeConnection(f.conn);
    else if (f.kind === 'listen') this.h.sockets.closeListener(f.listener);
    const bytes = f.kind === 'file' && f.writable ? f.node.content.size : 0;
    return this.unsaved() ? this.committed(this.h.persistSoon(bytes)) : 0;
  }

  fd_datasync(fd: number): Ret {
    this.fds.get(fd);
    return this.unsaved() ? this.committed(this.h.persist(true)) : 0;
  }

  fd_sync(fd: number): Ret {
    return this.fd_datasync(fd);
  }

  /** Changes a commit would write; without JSPI nothing can wait for one, so they go at exit. */
  private unsaved(): boolean {
    return this.h.jspi && this.h.fs.mounts.some((m) => m.touched.size);
  }

  /**
   * The syscall's result once `commit` settles: ENOSPC if the quota is full, EIO for another
   * failure; 0 at once when there is none to wait for.
   */
  private committed(commit: Promise<void> | undefined): Ret {
    return commit
      ? commit.then(
          () => 0,
          (e: unknown) => (isOutOfSpace(e) ? E.NOSPC : E.IO),
        )
      : 0;
  }

  fd_fdstat_get(fd: number, ptr: number): number {
    const f = this.fds.get(fd);
    const v = this.mem();
    if (f.kind === 'stdio') {
      abi.writeFdstat(v, ptr, this.h.tty ? wasi.FILETYPE_CHARACTER_DEVICE : wasi.FILETYPE_UNKNOWN, f.flags, abi.STDIO_RIGHTS, 0n);
    } else if (f.kind === 'file') {
      abi.writeFdstat(v, ptr, wasi.FILETYPE_REGULAR_FILE, f.flags, f.rights, f.inheriting);
    } else if (f.kind === 'socket' || f.kind === 'listen') {
      abi.writeFdstat(v, ptr, wasi.FILETYPE_SOCKET_STREAM, f.flags, SOCKET_RIGHTS, 0n);
    } else {
      abi.writeFdstat(v, ptr, wasi.FILETYPE_DIRECTORY, 0, f.rights, f.inheriting);
    }
    return 0;
  }

  fd_fdstat_set_flags(fd: number, flags: number): number {
    const f = this.fds.get(fd);
    if (f.kind === 'dir') return E.BADF;
    f.flags = flags;
    return 0;
  }

  fd_fdstat_set_rights(fd: number, base: bigint, inheriting: bigint): number {
    const f = this.fds.get(fd);
    if (f.kind === 'stdio' || f.kind === 'socket' || f.kind === 'listen') return 0;
    if ((base & ~f.rights) !== 0n || (inheriting & ~f.inheriting) !== 0n) return wasi.ERRNO_NOTCAPABLE;
    f.rights = base;
    f.inheriting = inheriting;
    return 0;
  }

  fd_filestat_get(fd: number, ptr: number): number {
    const f = this.fds.get(fd);
    const v = this.mem();
    if (f.kind === 'stdio') {
      const t = nowNs();
      const filetype = this.h.tty ? wasi.FILETYPE_CHARACTER_DEVICE : wasi.FILETYPE_UNKNOWN;
      abi.writeFilestat(v, ptr, { dev: 0n, ino: BigInt(f.stream), filetype, nlink: 1n, size: 0n, atim: t, mtim: t, ctim: t });
    } else if (f.kind === 'socket' || f.kind === 'listen') {
      const t = nowNs();
      abi.writeFilestat(v, ptr, { dev: 0n, ino: 0n, filetype: wasi.FILETYPE_SOCKET_STREAM, nlink: 1n, size: 0n, atim: t, mtim: t, ctim: t });
    } else {
      abi.writeFilestat(v, ptr, this.stat(f.node));
    }
    return 0;
  }

  fd_filestat_set_size(fd: number, size: bigint): number {
    const f = this.file(fd);
    if (!f.writable) return E.INVAL;
    f.node.content.resize(Number(size));
    this.h.fs.contentChanged(f.node);
    return 0;
  }

  fd_filestat_set_times(fd: number, atim: bigint, mtim: bigint, flags: number): number {
    const f = this.fds.get(fd);
    if (f.kind === 'stdio' || f.kind === 'socket' || f.kind === 'listen') return 0;
    this.setTimes(f.node, atim, mtim, flags);
    return 0;
  }

  private setTimes(n: FsNode, atim: bigint, mtim: bigint, flags: number): void {
    if ((flags & wasi.FSTFLAGS_ATIM && flags & wasi.FSTFLAGS_ATIM_NOW) || (flags & wasi.FSTFLAGS_MTIM && flags & wasi.FSTFLAGS_MTIM_NOW)) fail(E.INVAL);
    const now = nowNs();
    const a = flags & wasi.FSTFLAGS_ATIM_NOW ? now : flags & wasi.FSTFLAGS_ATIM ? atim : undefined;
    const m = flags & wasi.FSTFLAGS_MTIM_NOW ? now : flags & wasi.FSTFLAGS_MTIM ? mtim : undefined;
    this.h.fs.setTimes(n, a, m);
  }

  private readInto(f: FileFd, iovs: number, n: number, at: number): number {
    if (!f.readable) fail(E.BADF);
    const data = f.node.content.bytes();
    let done = 0;
    for (const [buf, len] of this.iovecs(iovs, n)) {
      const part = data.subarray(at + done, at + done + len);
      this.u8.set(part, buf);
      done += part.length;
      if (part.length < len) break;
    }
    return done;
  }

  private gather(iovs: number, n: number): Uint8Array {
    const list = this.iovecs(iovs, n);
    const out = new Uint8Array(list.reduce((s, [, len]) => s + len, 0));
    let at = 0;
    for (const [buf, len] of list) {
      out.set(this.u8.subarray(buf, buf + len), at);
      at += len;
    }
    return out;
  }

  private writeAt(f: FileFd, data: Uint8Array, at: number): void {
    if (!f.writable) fail(E.BADF);
    f.node.content.write(data, at);
    this.h.fs.contentChanged(f.node);
  }

  fd_pread(fd: number, iovs: number, n: number, offset: bigint, nread: number): number {
    const got = this.readInto(this.file(fd), iovs, n, Number(offset));
    this.mem().setUint32(nread, got, true);
    return 0;
  }

  fd_pwrite(fd: number, iovs: number, n: number, offset: bigint, nwritten: number): number {
    const data = this.gather(iovs, n);
    this.writeAt(this.file(fd), data, Number(offset));
    this.mem().setUint32(nwritten, data.length, true);
    return 0;
  }

  fd_prestat_get(fd: number, ptr: number): number {
    const f = this.fds.get(fd);
    if (f.kind !== 'dir' || f.preopen === undefined) return E.BADF;
    const v = this.mem();
    v.setUint32(ptr, wasi.PREOPENTYPE_DIR, true);
    v.setUint32(ptr + 4, encoder.encode(f.preopen).length, true);
    return 0;
  }

  fd_prestat_dir_name(fd: number, ptr: number, len: number): number {
    const f = this.fds.get(fd);
    if (f.kind !== 'dir' || f.preopen === undefined) return E.BADF;
    const name = encoder.encode(f.preopen);
    if (name.length > len) return E.NAMETOOLONG;
    this.mem();
    this.u8.set(name, ptr);
    return 0;
  }

  fd_read(fd: number, iovs: number, n: number, nread: number): Ret {
    const f = this.fds.get(fd);
    if (f.kind === 'file') {
      const got = this.readInto(f, iovs, n, f.pos);
      f.pos += got;
      this.mem().setUint32(nread, got, true);
      return 0;
    }
    if (f.kind === 'dir') return E.ISDIR;
    if (f.kind === 'socket') return this.receive(f, iovs, n, false, nread);
    if (f.kind === 'listen') return wasi.ERRNO_NOTCONN;
    if (f.stream !== 0) return E.BADF;
    return this.readStdin(f, iovs, n, nread);
  }

  private readStdin(f: StdioFd, iovs: number, n: number, nread: number): Ret {
    const list = this.iovecs(iovs, n);
    const want = list.reduce((s, [, len]) => s + len, 0);
    const data = this.h.stdin.read(want);
    if (data === undefined) {
      if (f.flags & wasi.FDFLAGS_NONBLOCK) return E.AGAIN;
      return this.h.stdin.readable().then(() => this.readStdin(f, iovs, n, nread));
    }
    this.mem();
    let at = 0;
    for (const [buf, len] of list) {
      const part = data.subarray(at, at + len);
      this.u8.set(part, buf);
      at += part.length;
      if (at >= data.length) break;
    }
    this.view.setUint32(nread, data.length, true);
    return 0;
  }

  fd_readdir(fd: number, buf: number, len: number, cookie: bigint, used: number): number {
    const f = this.fds.dir(fd);
    if (cookie === 0n) {
      const d = f.node;
      f.listing = [
        { name: '.', ino: d.ino, type: wasi.FILETYPE_DIRECTORY },
        { name: '..', ino: d.parent?.ino ?? d.ino, type: wasi.FILETYPE_DIRECTORY },
        ...[...d.children].map(([name, c]) => ({ name, ino: c.ino, type: filetypeOf(c) })),
      ];
    }
    const v = this.mem();
    let at = 0;
    for (let i = Number(cookie); i < f.listing.length; i++) {
      const e = f.listing[i]!;
      const name = encoder.encode(e.name);
      const entry = new Uint8Array(abi.DIRENT_HEAD + name.length);
      abi.writeDirentHead(new DataView(entry.buffer), 0, BigInt(i + 1), BigInt(e.ino), name.length, e.type);
      entry.set(name, abi.DIRENT_HEAD);
      const room = len - at;
      this.u8.set(entry.subarray(0, Math.min(room, entry.length)), buf + at);
      at += Math.min(room, entry.length);
      if (at === len) break;
    }
    v.setUint32(used, at, true);
    return 0;
  }

  fd_renumber(from: number, to: number): number {
    this.fds.renumber(from, to);
    return 0;
  }

  fd_seek(fd: number, offset: bigint, whence: number, ptr: number): number {
    const f = this.file(fd);
    const base = whence === wasi.WHENCE_SET ? 0 : whence === wasi.WHENCE_CUR ? f.pos : whence === wasi.WHENCE_END ? f.node.content.size : fail(E.INVAL);
    const pos = base + Number(offset);
    if (pos < 0) return E.INVAL;
    f.pos = pos;
    this.mem().setBigUint64(ptr, BigInt(pos), true);
    return 0;
  }

  fd_tell(fd: number, ptr: number): number {
    this.mem().setBigUint64(ptr, BigInt(this.file(fd).pos), true);
    return 0;
  }

  fd_write(fd: number, iovs: number, n: number, nwritten: number): Ret {
    const f = this.fds.get(fd);
    const data = this.gather(iovs, n);
    const len = data.length; // output() transfers the bytes away
    if (f.kind === 'stdio') {
      if (f.stream === 0) return E.BADF;
      const wait = len ? this.h.output(f.stream, data) : undefined;
      this.mem().setUint32(nwritten, len, true);
      return wait ? wait.then(() => 0) : 0;
    } else if (f.kind === 'file') {
      if (f.flags & wasi.FDFLAGS_APPEND) f.pos = f.node.content.size;
      this.writeAt(f, data, f.pos);
      f.pos += len;
    } else if (f.kind === 'socket') {
      return this.send(f, data, nwritten);
    } else if (f.kind === 'listen') {
      return wasi.ERRNO_NOTCONN;
    } else {
      return E.BADF;
    }
    this.mem().setUint32(nwritten, len, true);
    return 0;
  }

  path_create_directory(fd: number, p: number, l: number): number {
    this.h.fs.mkdir(this.fds.dir(fd).node, this.str(p, l));
    return 0;
  }

  path_filestat_get(fd: number, flags: number, p: number, l: number, ptr: number): number {
    const n = this.h.fs.resolve(this.fds.dir(fd).node, this.str(p, l), (flags & abi.LOOKUP_SYMLINK_FOLLOW) !== 0);
    abi.writeFilestat(this.mem(), ptr, this.stat(n));
    return 0;
  }

  path_filestat_set_times(fd: number, flags: number, p: number, l: number, atim: bigint, mtim: bigint, fst: number): number {
    const n = this.h.fs.resolve(this.fds.dir(fd).node, this.str(p, l), (flags & abi.LOOKUP_SYMLINK_FOLLOW) !== 0);
    this.setTimes(n, atim, mtim, fst);
    return 0;
  }

  path_link(oldFd: number, oldFlags: number, op: number, ol: number, newFd: number, np: number, nl: number): number {
    const follow = (oldFlags & abi.LOOKUP_SYMLINK_FOLLOW) !== 0;
    this.h.fs.link(this.fds.dir(oldFd).node, this.str(op, ol), follow, this.fds.dir(newFd).node, this.str(np, nl));
    return 0;
  }

  path_open(fd: number, dirflags: number, p: number, l: number, oflags: number, base: bigint, inheriting: bigint, fdflags: number, ptr: number): Ret {
    const fs = this.h.fs;
    const dir = this.fds.dir(fd).node;
    const path = this.str(p, l);
    const follow = (dirflags & abi.LOOKUP_SYMLINK_FOLLOW) !== 0;
    const readable = (base & READ) !== 0n;
    const writable = (base & WRITE) !== 0n;
    let node: FsNode | undefined;
    try {
      node = fs.resolve(dir, path, follow);
    } catch (e) {
      if (!(e instanceof Errno && e.code === E.NOENT && oflags & wasi.OFLAGS_CREAT)) throw e;
    }
    if (node && oflags & wasi.OFLAGS_CREAT && oflags & wasi.OFLAGS_EXCL) return E.EXIST;
    if (!node) {
      if (path.endsWith('/')) return E.ISDIR;
      const parent = fs.parentOf(dir, path);
      if (parent.dir.children.has(parent.name)) return E.NOENT; // a dangling symlink
      node = fs.createFile(parent.dir, parent.name);
    }
    if (node.kind === 'symlink') return E.LOOP;
    if (oflags & wasi.OFLAGS_DIRECTORY && node.kind !== 'dir') return E.NOTDIR;
    if (node.kind === 'dir') {
      if (writable) return E.ISDIR;
      return this.opened(new DirFd(node, base, inheriting), ptr);
    }
    if (node.kind === 'special') return E.NXIO;
    if (writable || oflags & wasi.OFLAGS_TRUNC) node.mount.checkWritable();
    const f = new FileFd(node, base, inheriting, fdflags, readable, writable);
    if (oflags & wasi.OFLAGS_TRUNC) {
      const c = node.content;
      c.buf = new Uint8Array(0);
      c.size = 0;
      c.dirty = true;
      c.version++;
      fs.contentChanged(node);
      return this.opened(f, ptr);
    }
    const loading = this.load(node);
    return loading ? loading.then(() => this.opened(f, ptr)) : this.opened(f, ptr);
  }

  private opened(f: OpenFd, ptr: number): number {
    this.mem().setUint32(ptr, this.fds.add(f), true);
    return 0;
  }

  /** Brings a file's contents into memory: from IndexedDB under JSPI, else from the preload. */
  private load(node: FileNode): Promise<void> | undefined {
    const c = node.content;
    if (c.loaded) return undefined;
    const cached = c.sha === undefined ? new Uint8Array(c.size) : this.h.loader.loadCached(c.sha, c.hint());
    if (cached) {
      c.buf = cached;
      return undefined;
    }
    if (!this.h.jspi) {
      const path = node.mount.pathOf(node);
      if (!this.noticed.has(path)) {
        this.noticed.add(path);
        this.h.notice(`wasi: ${path} was not preloaded and cannot be read without JSPI: I/O error`);
      }
      fail(E.IO);
    }
    return this.h.loader.load(c.sha!, c.hint()).then((bytes) => {
      if (!bytes) fail(E.IO);
      c.buf ??= bytes;
    });
  }

  path_readlink(fd: number, p: number, l: number, buf: number, len: number, ptr: number): number {
    const n = this.h.fs.resolve(this.fds.dir(fd).node, this.str(p, l), false);
    if (n.kind !== 'symlink') return E.INVAL;
    const target = encoder.encode(n.target).subarray(0, len);
    this.u8.set(target, buf);
    this.view.setUint32(ptr, target.length, true);
    return 0;
  }

  path_remove_directory(fd: number, p: number, l: number): number {
    this.h.fs.rmdir(this.fds.dir(fd).node, this.str(p, l));
    return 0;
  }

  path_rename(fd: number, op: number, ol: number, newFd: number, np: number, nl: number): number {
    this.h.fs.rename(this.fds.dir(fd).node, this.str(op, ol), this.fds.dir(newFd).node, this.str(np, nl));
    return 0;
  }

  path_symlink(op: number, ol: number, fd: number, np: number, nl: number): number {
    this.h.fs.symlink(this.str(op, ol), this.fds.dir(fd).node, this.str(np, nl));
    return 0;
  }

  path_unlink_file(fd: number, p: number, l: number): number {
    this.h.fs.unlink(this.fds.dir(fd).node, this.str(p, l));
    return 0;
  }

  poll_oneoff(inPtr: number, outPtr: number, n: number, nevents: number): Ret {
    if (n === 0) return E.INVAL;
    const v = this.mem();
    const subs: abi.Subscription[] = [];
    for (let i = 0; i < n; i++) subs.push(abi.readSubscription(v, inPtr + i * abi.SUBSCRIPTION_SIZE) ?? fail(E.INVAL));
    const start = monotonicNs();
    const deadlines = subs.map((s) =>
      s.type !== wasi.EVENTTYPE_CLOCK
        ? undefined
        : s.abstime
          ? start + s.timeout - (s.clock === wasi.CLOCKID_REALTIME ? realtimeNs() : start)
          : start + s.timeout,
    );
    const collect = (): abi.PollEvent[] => {
      const now = monotonicNs();
      const out: abi.PollEvent[] = [];
      subs.forEach((s, i) => {
        const ev = { userdata: s.userdata, type: s.type, error: 0, nbytes: 0n, hangup: false };
        if (s.type === wasi.EVENTTYPE_CLOCK) {
          if (s.clock > wasi.CLOCKID_THREAD_CPUTIME_ID) out.push({ ...ev, error: E.INVAL });
          else if (now >= deadlines[i]!) out.push(ev);
          return;
        }
        let f: OpenFd;
        try {
          f = this.fds.get(s.fd);
        } catch {
          out.push({ ...ev, error: E.BADF });
          return;
        }
        if (f.kind === 'socket') {
          const c = f.conn;
          if (s.type === wasi.EVENTTYPE_FD_WRITE) {
            if (c.writeReady) out.push(ev);
          } else if (c.readReady) out.push({ ...ev, nbytes: BigInt(c.available), hangup: c.hungUp });
        } else if (f.kind === 'listen') {
          if (s.type === wasi.EVENTTYPE_FD_WRITE) out.push({ ...ev, error: wasi.ERRNO_NOTCONN });
          else if (f.listener.backlog.length) out.push({ ...ev, nbytes: BigInt(f.listener.backlog.length) });
        } else if (s.type === wasi.EVENTTYPE_FD_WRITE) out.push(f.kind === 'stdio' && f.stream === 0 ? { ...ev, error: E.BADF } : ev);
        else if (f.kind === 'file') out.push({ ...ev, nbytes: BigInt(Math.max(0, f.node.content.size - f.pos)) });
        else if (f.kind === 'stdio' && f.stream === 0) {
          const stdin = this.h.stdin;
          if (stdin.available || stdin.ended) out.push({ ...ev, nbytes: BigInt(stdin.available), hangup: stdin.ended });
        } else out.push({ ...ev, error: E.BADF });
      });
      return out;
    };
    const finish = (events: abi.PollEvent[]): number => {
      const view = this.mem();
      events.forEach((e, i) => abi.writeEvent(view, outPtr + i * abi.EVENT_SIZE, e));
      view.setUint32(nevents, events.length, true);
      return 0;
    };
    const polled = subs.flatMap((s) => (s.type === wasi.EVENTTYPE_CLOCK || !this.fds.has(s.fd) ? [] : [this.fds.get(s.fd).kind]));
    const pollsSockets = polled.includes('socket') || polled.includes('listen');
    let events = collect();
    if (events.length) {
      // Only a clock is due (a poll with timeout 0): let the sockets' messages in before answering.
      if (pollsSockets && this.h.jspi && events.every((e) => e.type === wasi.EVENTTYPE_CLOCK)) return this.h.sockets.delivered().then(() => finish(collect()));
      return finish(events);
    }
    // Nothing is ready, so every fd is valid and only stdin, a socket or a clock can end the wait.
    const next = deadlines.reduce<bigint | undefined>((m, d) => (d !== undefined && (m === undefined || d < m) ? d : m), undefined);
    // What can end the wait: stdin, or a change of a socket (each waited for only when polled).
    const wakers: (() => Promise<void>)[] = [];
    if (polled.includes('stdio')) wakers.push(() => this.h.stdin.readable());
    if (pollsSockets) wakers.push(() => this.h.sockets.changed());
    if (wakers.length && this.h.jspi) return this.pollAsync(next, collect, wakers).then(finish);
    if (next === undefined) return E.NOTSUP; // nothing here could ever become ready
    do this.sleep(next - monotonicNs());
    while (!(events = collect()).length);
    // The Worker was blocked: a pause may be waiting among its messages.
    this.h.gate?.lookSoon();
    return finish(events);
  }

  /** Waits (suspended) for stdin, a socket or the earliest clock, whichever comes first. */
  private async pollAsync(next: bigint | undefined, collect: () => abi.PollEvent[], wakers: readonly (() => Promise<void>)[]): Promise<abi.PollEvent[]> {
    for (;;) {
      const waits = wakers.map((w) => w());
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (next !== undefined) waits.push(new Promise((r) => (timer = setTimeout(r, Math.max(0, Number(next - monotonicNs()) / 1e6)))));
      await Promise.race(waits);
      clearTimeout(timer);
      const events = collect();
      if (events.length) return events;
    }
  }

  /** Blocks without spinning where the browser allows it (see block.ts). */
  private sleep(ns: bigint): void {
    const ms = Number(ns) / 1e6;
    if (blockFor(ms)) return;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // No way to block this Worker: spin (only where shared memory is refused).
    }
  }

  proc_exit(code: number): number {
    throw new ProcExit(code);
  }

  proc_raise(signal: number): number {
    throw new ProcExit(128 + signal, signal);
  }

  sched_yield(): number {
    return 0;
  }

  random_get(buf: number, len: number): number {
    this.mem();
    for (let at = 0; at < len; at += 65536) crypto.getRandomValues(this.u8.subarray(buf + at, buf + Math.min(len, at + 65536)));
    return 0;
  }

  private socket(fd: number): SocketFd {
    const f = this.fds.get(fd);
    if (f.kind === 'socket') return f;
    return fail(f.kind === 'listen' ? wasi.ERRNO_NOTCONN : E.NOTSOCK);
  }

  /**
   * A socket call that cannot go on now. On a blocking fd it waits for a change of the sockets
   * and tries `again`. On a non-blocking one it answers EAGAIN, but first lets in the messages
   * already on their way: a module that never suspends never receives them, and would spin on
   * EAGAIN for ever. `fresh`: not yet tried after such a pause.
   */
  private wouldBlock(fdFlags: number, fresh: boolean, again: () => Ret): Ret {
    if (!(fdFlags & wasi.FDFLAGS_NONBLOCK)) return this.h.sockets.changed().then(again);
    return fresh && this.h.jspi ? this.h.sockets.delivered().then(again) : E.AGAIN;
  }

  /** `flags` are the new fd's (SOCK_NONBLOCK); whether accept waits is the listening fd's, as in POSIX. */
  sock_accept(fd: number, flags: number, ptr: number): Ret {
    return this.accept(fd, flags, ptr, true);
  }

  private accept(fd: number, flags: number, ptr: number, fresh: boolean): Ret {
    const f = this.fds.get(fd);
    if (f.kind !== 'listen') return f.kind === 'socket' ? E.INVAL : E.NOTSOCK;
    if (flags & ~wasi.FDFLAGS_NONBLOCK) return E.INVAL;
    const conn = this.h.sockets.accept(f.listener);
    if (conn) return this.opened(new SocketFd(conn, flags), ptr);
    return this.wouldBlock(f.flags, fresh, () => this.accept(fd, flags, ptr, false));
  }

  /** Reads a connection into iovecs: fd_read and sock_recv. */
  private receive(f: SocketFd, iovs: number, n: number, peek: boolean, nread: number, fresh = true): Ret {
    const list = this.iovecs(iovs, n);
    const want = list.reduce((s, [, len]) => s + len, 0);
    const data = want ? f.conn.read(want, peek) : new Uint8Array(0);
    if (data === undefined) return this.wouldBlock(f.flags, fresh, () => this.receive(f, iovs, n, peek, nread, false));
    this.mem();
    let at = 0;
    for (const [buf, len] of list) {
      if (at >= data.length) break;
      const part = data.subarray(at, at + len);
      this.u8.set(part, buf);
      at += part.length;
    }
    this.view.setUint32(nread, data.length, true);
    return 0;
  }

  /** Sends what the window takes now; blocks (or EAGAIN) only when it takes nothing. */
  private send(f: SocketFd, data: Uint8Array, nwritten: number, fresh = true): Ret {
    const sent = f.conn.write(data);
    if (sent === undefined) return this.wouldBlock(f.flags, fresh, () => this.send(f, data, nwritten, false));
    this.mem().setUint32(nwritten, sent, true);
    return 0;
  }

  sock_recv(fd: number, iovs: number, n: number, flags: number, nread: number, oflags: number): Ret {
    const f = this.socket(fd);
    const r = this.receive(f, iovs, n, (flags & wasi.RIFLAGS_RECV_PEEK) !== 0, nread);
    const done = (errno: number) => {
      if (errno === 0) this.mem().setUint16(oflags, 0, true);
      return errno;
    };
    return typeof r === 'number' ? done(r) : r.then(done);
  }

  sock_send(fd: number, iovs: number, n: number, _flags: number, nwritten: number): Ret {
    const f = this.socket(fd);
    return this.send(f, this.gather(iovs, n), nwritten);
  }

  sock_shutdown(fd: number, how: number): number {
    if (!how || how & ~(wasi.SDFLAGS_RD | wasi.SDFLAGS_WR)) return E.INVAL;
    this.socket(fd).conn.shutdown((how & wasi.SDFLAGS_RD) !== 0, (how & wasi.SDFLAGS_WR) !== 0);
    return 0;
  }
}
