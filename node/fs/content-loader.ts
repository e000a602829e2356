// Reads file contents from the file store (core/store/file-store.ts format) inside the
// process Worker, when a file is opened: no byte crosses to the main thread, and a container
// start reads no file data at all. Small files live in shared pack records: a pack read once
// serves every file in it, so its records are fetched together and the pack is kept. Files a
// container wrote carry the place of their contents (a hint), which saves the record lookups.
import type { Db, FileRecord, PackSlice } from '../../core/store/db.ts';

/** Where stored content of `size` bytes was written, when the entry says (a hint: see PackSlice). */
export interface StoredHint {
  readonly size: number;
  readonly at: PackSlice;
}

/** IndexedDB records this process fetched, by store (for tests and `stats`). */
export interface ReadStats {
  files: number;
  fileData: number;
  fileDataBytes: number;
}

const PACK_CACHE_BYTES = 64 << 20;

export class ContentLoader {
  readonly stats: ReadStats = { files: 0, fileData: 0, fileDataBytes: 0 };
  private readonly records = new Map<string, FileRecord>();
  /** Pack bytes by pack ID, oldest first (Map order) for eviction. */
  private readonly packs = new Map<string, Uint8Array>();
  private packBytes = 0;
  /** Whole contents of chunked files that were preloaded. */
  private readonly whole = new Map<string, Uint8Array>();

  constructor(private readonly db: Db) {}

  /** A private copy of the stored content `sha`; undefined when the store lacks it. */
  async load(sha: string, hint?: StoredHint): Promise<Uint8Array | undefined> {
    const hit = this.loadCached(sha, hint);
    if (hit) return hit;
    const tx = this.db.transaction(['files', 'fileData']);
    let rec = this.records.get(sha);
    if (!rec && hint) {
      // The hinted pack, with no `files` lookup; one that is gone sends us to the record.
      const pack = await tx.objectStore('fileData').get(hint.at.pack);
      if (pack) {
        this.countData(pack);
        this.keepPack(hint.at.pack, pack);
        const bytes = this.loadCached(sha, hint);
        if (bytes) return bytes;
      }
    }
    if (!rec) {
      rec = await tx.objectStore('files').get(sha);
      this.stats.files++;
      if (!rec) return undefined;
      this.records.set(sha, rec);
    }
    const loc = rec.loc;
    if ('pack' in loc) {
      const [pack, mates] = await Promise.all([tx.objectStore('fileData').get(loc.pack), tx.objectStore('files').index('pack').getAll(loc.pack)]);
      this.stats.files += mates.length;
      if (!pack) return undefined;
      this.countData(pack);
      for (const m of mates) this.records.set(m.sha, m);
      this.keepPack(loc.pack, pack);
      return pack.slice(loc.offset, loc.offset + rec.size);
    }
    const parts = await Promise.all(Array.from({ length: loc.count }, (_, i) => tx.objectStore('fileData').get(`${loc.chunks}:${i}`)));
    return this.assemble(rec, parts);
  }

  /** The content if it is already in memory (a kept pack or a preloaded file), else undefined. */
  loadCached(sha: string, hint?: StoredHint): Uint8Array | undefined {
    const whole = this.whole.get(sha);
    if (whole) return whole.slice();
    const rec = this.records.get(sha);
    const slice = rec && 'pack' in rec.loc ? { pack: rec.loc.pack, offset: rec.loc.offset, size: rec.size } : hint && { ...hint.at, size: hint.size };
    const pack = slice && this.packs.get(slice.pack);
    // A pack kept before it grew may end before a slice added since.
    if (!slice || !pack || pack.byteLength < slice.offset + slice.size) return undefined;
    return pack.slice(slice.offset, slice.offset + slice.size);
  }

  /**
   * Fetches contents ahead, in order, until `budget` bytes of file contents are in memory: the
   * way to run without JSPI, where an open cannot wait for IndexedDB.
   */
  async preload(shas: readonly string[], budget: number): Promise<void> {
    const tx = this.db.transaction(['files', 'fileData']);
    const files = tx.objectStore('files');
    const data = tx.objectStore('fileData');
    // A file of a pack brings the records of its pack mates: one request per pack, not per file.
    for (const sha of shas) {
      if (this.records.has(sha)) continue;
      const rec = await files.get(sha);
      this.stats.files++;
      if (!rec) continue;
      this.records.set(sha, rec);
      if (!('pack' in rec.loc)) continue;
      const mates = await files.index('pack').getAll(rec.loc.pack);
      this.stats.files += mates.length;
      for (const m of mates) this.records.set(m.sha, m);
    }
    const packs = new Set<string>();
    const chunked: FileRecord[] = [];
    let used = 0;
    for (const sha of shas) {
      const rec = this.records.get(sha);
      if (!rec || used + rec.size > budget) continue;
      used += rec.size;
      if ('pack' in rec.loc) packs.add(rec.loc.pack);
      else chunked.push(rec);
    }
    const missingPacks = [...packs].filter((p) => !this.packs.has(p));
    await Promise.all([
      ...missingPacks.map(async (id) => {
        const pack = await data.get(id);
        if (!pack) return;
        this.countData(pack);
        this.keepPack(id, pack, Infinity);
      }),
      ...chunked.map(async (rec) => {
        const loc = rec.loc as { chunks: string; count: number };
        const parts = await Promise.all(Array.from({ length: loc.count }, (_, i) => data.get(`${loc.chunks}:${i}`)));
        const whole = this.assemble(rec, parts);
        if (whole) this.whole.set(rec.sha, whole);
      }),
    ]);
  }

  private assemble(rec: FileRecord, parts: (Uint8Array | undefined)[]): Uint8Array | undefined {
    const out = new Uint8Array(rec.size);
    let at = 0;
    for (const p of parts) {
      if (!p) return undefined;
      this.countData(p);
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }

  private countData(b: Uint8Array): void {
    this.stats.fileData++;
    this.stats.fileDataBytes += b.byteLength;
  }

  private keepPack(id: string, pack: Uint8Array, limit = PACK_CACHE_BYTES): void {
    this.packs.set(id, pack);
    this.packBytes += pack.byteLength;
    for (const [old, b] of this.packs) {
      if (this.packBytes <= limit || old === id) break;
      this.packs.delete(old);
      this.packBytes -= b.byteLength;
    }
  }
}
