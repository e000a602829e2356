// How file contents are laid out in the `files`/`fileData` stores, shared by the engine's unpack
// and the process Workers' writes. No hashing here: a process Worker's bundle stays small.
import type { FileRecord } from './db.ts';

/** Files up to this size are packed together; larger ones get chunk records of their own. */
export const PACK_FILE_MAX = 256 << 10;
export const FILE_CHUNK = 1 << 20;

/** File contents and the records that store them: the one place the data-key scheme lives. */
export interface StoredLayout {
  readonly data: [key: string, bytes: Uint8Array][];
  readonly records: FileRecord[];
}

/** Small files into one pack record (`p:<id>`), each file a slice of it. */
export function packFiles(files: readonly { sha: string; bytes: Uint8Array }[]): StoredLayout {
  return packAfter(newPackId(), new Uint8Array(0), files);
}

/** A process's growing pack stops growing at this size: each commit rewrites it whole. */
export const GROWING_PACK_MAX = 256 << 10;

/**
 * A pack that grows by appending, for writers that commit a few small files at a time (a process
 * closing files one by one): they share one record instead of one each, so reading them back
 * costs one request, not one per file. Bytes already in it never change, so records and hints
 * pointing into it stay right while it grows.
 */
export class GrowingPack {
  private id = newPackId();
  private bytes: Uint8Array = new Uint8Array(0);

  /** The layout that stores `files`; call `commit()` once it is stored (a failed write does not count). */
  append(files: readonly { sha: string; bytes: Uint8Array }[]): StoredLayout & { commit(): void } {
    const adding = files.reduce((n, f) => n + f.bytes.byteLength, 0);
    if (adding > GROWING_PACK_MAX) return { ...packFiles(files), commit() {} };
    const full = this.bytes.byteLength + adding > GROWING_PACK_MAX;
    const id = full ? newPackId() : this.id;
    const layout = packAfter(id, full ? new Uint8Array(0) : this.bytes, files);
    return {
      ...layout,
      commit: () => {
        this.id = id;
        this.bytes = layout.data[0]![1];
      },
    };
  }
}

function newPackId(): string {
  return `p:${crypto.randomUUID()}`;
}

/** Pack `id` holding `base` followed by `files`. */
function packAfter(id: string, base: Uint8Array, files: readonly { sha: string; bytes: Uint8Array }[]): StoredLayout {
  const pack = new Uint8Array(files.reduce((n, f) => n + f.bytes.byteLength, base.byteLength));
  pack.set(base);
  const records: FileRecord[] = [];
  let at = base.byteLength;
  for (const f of files) {
    pack.set(f.bytes, at);
    records.push({ sha: f.sha, size: f.bytes.byteLength, loc: { pack: id, offset: at }, pack: id });
    at += f.bytes.byteLength;
  }
  return { data: [[id, pack]], records };
}

/** A large file as 1 MiB chunk records (`c:<id>:<n>`). */
export function chunkFile(sha: string, bytes: Uint8Array): StoredLayout {
  const id = `c:${crypto.randomUUID()}`;
  const count = Math.ceil(bytes.byteLength / FILE_CHUNK);
  const data: [string, Uint8Array][] = [];
  for (let i = 0; i < count; i++) data.push([`${id}:${i}`, bytes.slice(i * FILE_CHUNK, (i + 1) * FILE_CHUNK)]);
  return { data, records: [{ sha, size: bytes.byteLength, loc: { chunks: id, count } }] };
}
