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
  const id = `p:${crypto.randomUUID()}`;
  const pack = new Uint8Array(files.reduce((n, f) => n + f.bytes.byteLength, 0));
  const records: FileRecord[] = [];
  let at = 0;
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
