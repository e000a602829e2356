// WASI preview1 struct layouts (wasi_snapshot_preview1.witx). The shim's own encoders put
// filestat times and subscription flags at wrong offsets and leave fd events empty.
import { wasi } from '@bjorn3/browser_wasi_shim';

export const LOOKUP_SYMLINK_FOLLOW = 1;
/** Every right: what a preopened directory passes on, so libc never sees ENOTCAPABLE. */
export const ALL_RIGHTS = (1n << 29n) - 1n;
export const STDIO_RIGHTS = BigInt(wasi.RIGHTS_FD_READ | wasi.RIGHTS_FD_WRITE | wasi.RIGHTS_POLL_FD_READWRITE | wasi.RIGHTS_FD_FDSTAT_SET_FLAGS);
export const DIRENT_HEAD = 24;
export const EVENT_SIZE = 32;
export const SUBSCRIPTION_SIZE = 48;

export interface Filestat {
  dev: bigint;
  ino: bigint;
  filetype: number;
  nlink: bigint;
  size: bigint;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
}

export function writeFilestat(v: DataView, p: number, s: Filestat): void {
  v.setBigUint64(p, s.dev, true);
  v.setBigUint64(p + 8, s.ino, true);
  v.setUint8(p + 16, s.filetype);
  v.setBigUint64(p + 24, s.nlink, true);
  v.setBigUint64(p + 32, s.size, true);
  v.setBigUint64(p + 40, s.atim, true);
  v.setBigUint64(p + 48, s.mtim, true);
  v.setBigUint64(p + 56, s.ctim, true);
}

export function writeFdstat(v: DataView, p: number, filetype: number, flags: number, base: bigint, inheriting: bigint): void {
  v.setUint8(p, filetype);
  v.setUint16(p + 2, flags, true);
  v.setBigUint64(p + 8, base, true);
  v.setBigUint64(p + 16, inheriting, true);
}

export function writeDirentHead(v: DataView, p: number, next: bigint, ino: bigint, nameLen: number, type: number): void {
  v.setBigUint64(p, next, true);
  v.setBigUint64(p + 8, ino, true);
  v.setUint32(p + 16, nameLen, true);
  v.setUint8(p + 20, type);
}

export type Subscription =
  | { readonly userdata: bigint; readonly type: typeof wasi.EVENTTYPE_CLOCK; readonly clock: number; readonly timeout: bigint; readonly abstime: boolean }
  | { readonly userdata: bigint; readonly type: typeof wasi.EVENTTYPE_FD_READ | typeof wasi.EVENTTYPE_FD_WRITE; readonly fd: number };

export function readSubscription(v: DataView, p: number): Subscription | undefined {
  const userdata = v.getBigUint64(p, true);
  const type = v.getUint8(p + 8);
  if (type === wasi.EVENTTYPE_CLOCK) {
    const abstime = (v.getUint16(p + 40, true) & wasi.SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME) !== 0;
    return { userdata, type, clock: v.getUint32(p + 16, true), timeout: v.getBigUint64(p + 24, true), abstime };
  }
  if (type === wasi.EVENTTYPE_FD_READ || type === wasi.EVENTTYPE_FD_WRITE) return { userdata, type, fd: v.getUint32(p + 16, true) };
  return undefined;
}

export interface PollEvent {
  readonly userdata: bigint;
  readonly error: number;
  readonly type: number;
  readonly nbytes: bigint;
  readonly hangup: boolean;
}

export function writeEvent(v: DataView, p: number, e: PollEvent): void {
  v.setBigUint64(p, e.userdata, true);
  v.setUint16(p + 8, e.error, true);
  v.setUint8(p + 10, e.type);
  v.setBigUint64(p + 16, e.nbytes, true);
  v.setUint16(p + 24, e.hangup ? wasi.EVENTRWFLAGS_FD_READWRITE_HANGUP : 0, true);
}
