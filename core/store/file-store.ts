import { digestHex, Sha256 } from '../oci/digest.ts';
import { Sha256Stream } from '../oci/sha256-stream.ts';
import type { BatchWriter } from './batch-writer.ts';
import type { Db } from './db.ts';
import { FILE_CHUNK, PACK_FILE_MAX, packFiles } from './file-layout.ts';

const PACK_TARGET = 4 << 20;

interface PendingFile {
  readonly sha: string;
  readonly size: number;
  readonly offset: number;
}

/**
 * Writes file contents into the store, keyed by sha256, each distinct content once.
 * Small files are gathered into ~4 MiB pack records (IndexedDB's per-record cost makes
 * one record per small file several times slower); large files are split into 1 MiB chunks.
 */
export class FileSink {
  private pack = new Uint8Array(PACK_TARGET + PACK_FILE_MAX);
  private packUsed = 0;
  private pending: PendingFile[] = [];
  private readonly seen = new Set<string>();
  /** One hasher for the small files, reset for each: writes come one at a time. */
  private small: Sha256 | undefined;
  /** The pack on its way to the writer; the next one fills meanwhile. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly writer: BatchWriter,
  ) {}

  /** Consumes one file's bytes; returns its sha256 (hex). */
  async write(size: number, body: AsyncIterable<Uint8Array>): Promise<string> {
    if (size <= PACK_FILE_MAX) {
      const hash = (this.small ??= await Sha256.create());
      hash.reset();
      const offset = this.packUsed;
      for await (const piece of body) {
        hash.update(piece);
        this.pack.set(piece, this.packUsed);
        this.packUsed += piece.byteLength;
      }
      const sha = hash.hex();
      if (this.seen.has(sha)) {
        this.packUsed = offset;
      } else {
        this.seen.add(sha);
        this.pending.push({ sha, size, offset });
        if (this.packUsed >= PACK_TARGET) await this.queuePack();
      }
      return sha;
    }
    const hash = await Sha256Stream.create();
    const id = `c:${crypto.randomUUID()}`;
    let count = 0;
    let buf = new Uint8Array(FILE_CHUNK);
    let used = 0;
    for await (const piece of body) {
      hash.update(piece);
      let off = 0;
      while (off < piece.byteLength) {
        const take = Math.min(FILE_CHUNK - used, piece.byteLength - off);
        buf.set(piece.subarray(off, off + take), used);
        used += take;
        off += take;
        if (used === FILE_CHUNK) {
          await this.writer.put('fileData', buf, `${id}:${count++}`, FILE_CHUNK);
          buf = new Uint8Array(FILE_CHUNK);
          used = 0;
        }
      }
    }
    if (used > 0) await this.writer.put('fileData', buf.slice(0, used), `${id}:${count++}`, used);
    const sha = digestHex(await hash.digest());
    if (this.seen.has(sha) || (await this.db.getKey('files', sha)) !== undefined) {
      for (let i = 0; i < count; i++) await this.writer.delete('fileData', `${id}:${i}`);
    } else {
      this.seen.add(sha);
      await this.writer.put('files', { sha, size, loc: { chunks: id, count } });
    }
    return sha;
  }

  /**
   * Sends the current pack on and starts the next. Which of its contents the store has already is
   * a round of IndexedDB lookups: the next pack fills while they run (one pack in flight at a time).
   */
  private async queuePack(): Promise<void> {
    await this.flushing;
    if (this.pending.length === 0) return;
    const files = this.pending;
    const packBytes = this.pack;
    this.pending = [];
    this.pack = new Uint8Array(PACK_TARGET + PACK_FILE_MAX);
    this.packUsed = 0;
    const flushing = this.flushPack(files, packBytes);
    // Its failure comes out of the next queuePack or finish; a pull that fails first never asks.
    flushing.catch(() => undefined);
    this.flushing = flushing;
  }

  /** Queues a pack, leaving out contents the store already has. */
  private async flushPack(files: readonly PendingFile[], packBytes: Uint8Array): Promise<void> {
    const tx = this.db.transaction('files');
    const exists = await Promise.all(files.map((f) => tx.store.getKey(f.sha)));
    const fresh = files.filter((_, i) => exists[i] === undefined);
    if (fresh.length === 0) return;
    const layout = packFiles(fresh.map((f) => ({ sha: f.sha, bytes: packBytes.subarray(f.offset, f.offset + f.size) })));
    // Data before records: a record must never point at bytes that are not there yet.
    for (const [key, bytes] of layout.data) await this.writer.put('fileData', bytes, key, bytes.byteLength);
    for (const rec of layout.records) await this.writer.put('files', rec);
  }

  /** Queues everything still buffered; the caller drains the writer. */
  async finish(): Promise<void> {
    await this.queuePack();
    await this.flushing;
  }
}

/** Reads one file's contents back by sha256. */
export async function readFile(db: Db, sha: string): Promise<Uint8Array | undefined> {
  const rec = await db.get('files', sha);
  if (!rec) return undefined;
  const loc = rec.loc;
  if ('pack' in loc) {
    const pack = await db.get('fileData', loc.pack);
    return pack?.subarray(loc.offset, loc.offset + rec.size);
  }
  const tx = db.transaction('fileData');
  const parts = await Promise.all(Array.from({ length: loc.count }, (_, i) => tx.store.get(`${loc.chunks}:${i}`)));
  const out = new Uint8Array(rec.size);
  let at = 0;
  for (const p of parts) {
    if (!p) return undefined;
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
