// The container's root filesystem as the guest sees it over 9p: the same view a WASI process
// gets (node/fs: image snapshots + writable layer + volumes, loaded from metadata only), with
// file bytes read lazily from IndexedDB and changes persisted to the writable layer shortly
// after they happen.

import { isOutOfSpace } from '../../core/errors.ts';
import type { ProcessSpec } from '../../core/protocol.ts';
import type { Db, FileRecord } from '../../core/store/db.ts';
import { FILE_CHUNK, GrowingPack } from '../../core/store/file-layout.ts';
import type { ContainerFs } from '../fs/container-fs.ts';
import { ContentLoader } from '../fs/content-loader.ts';
import { E, fail } from '../fs/errno.ts';
import { loadFs } from '../fs/load-fs.ts';
import type { Content } from '../fs/nodes.ts';
import { flushAll } from '../fs/persist.ts';
import type { P9Backend } from './p9-server.ts';

/** Persist this long after the last change: batches a burst of small writes into one commit. */
const PERSIST_DELAY_MS = 250;
/** Chunks of large files kept for sequential reads. */
const CHUNK_CACHE = 16;
/** Most bytes fetched ahead for the entrypoint. */
const PRELOAD_BUDGET = 32 << 20;
/** Mount points the shim mounts over; they exist for this guest only and are never persisted. */
const MOUNT_POINTS = ['/proc', '/sys', '/dev'];

export class GuestFs implements P9Backend {
  private readonly loader: ContentLoader;
  private readonly loading = new Map<Content, Promise<void>>();
  private readonly records = new Map<string, FileRecord>();
  private readonly chunks = new Map<string, Promise<Uint8Array | undefined>>();
  private readonly pack = new GrowingPack();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** The last commit ran out of quota: writes fail (ENOSPC) until one succeeds. */
  private full = false;

  private constructor(
    private readonly db: Db,
    readonly fs: ContainerFs,
  ) {
    this.loader = new ContentLoader(db);
  }

  static async open(db: Db, spec: ProcessSpec): Promise<GuestFs> {
    const fs = await loadFs(db, spec);
    for (const p of MOUNT_POINTS) fs.ensureDir(p, fs.mounts[0]!);
    return new GuestFs(db, fs);
  }

  /** Fetches a file's contents ahead (the entrypoint: the guest reads it first). */
  async preload(path: string): Promise<void> {
    try {
      const node = this.fs.resolve(this.fs.root, path, true);
      if (node.kind === 'file' && node.content.sha !== undefined) await this.loader.preload([node.content.sha], PRELOAD_BUDGET);
    } catch {
      // Not there: the guest will say so.
    }
  }

  load(content: Content): Promise<void> {
    let p = this.loading.get(content);
    if (!p) {
      p = (async () => {
        const bytes = content.sha === undefined ? new Uint8Array(0) : await this.loader.load(content.sha, content.hint());
        if (!bytes) throw new Error(`file content ${content.sha} is missing from the store`);
        // A write may have loaded it meanwhile; its bytes are newer.
        if (!content.loaded) content.buf = bytes;
      })().finally(() => this.loading.delete(content));
      this.loading.set(content, p);
    }
    return p;
  }

  async readStored(content: Content, offset: number, count: number): Promise<Uint8Array> {
    const sha = content.sha;
    if (sha === undefined) return new Uint8Array(0);
    const cached = this.loader.loadCached(sha, content.hint());
    if (cached) return cached.subarray(offset, offset + count);
    // A hint names a pack: the loader goes there without the record.
    const hinted = content.at ? await this.loader.load(sha, content.hint()) : undefined;
    if (hinted) return hinted.subarray(offset, offset + count);
    let rec = this.records.get(sha);
    if (!rec) {
      rec = await this.db.get('files', sha);
      if (!rec) throw new Error(`file content ${sha} is missing from the store`);
      this.records.set(sha, rec);
    }
    const loc = rec.loc;
    if ('pack' in loc) {
      const all = await this.loader.load(sha, content.hint());
      if (!all) throw new Error(`file content ${sha} is missing from the store`);
      return all.subarray(offset, offset + count);
    }
    // A large file: only the 1 MiB chunks the range covers.
    const out = new Uint8Array(count);
    for (let at = 0; at < count; ) {
      const i = Math.floor((offset + at) / FILE_CHUNK);
      const part = await this.chunk(loc.chunks, i);
      if (!part) throw new Error(`chunk ${i} of ${sha} is missing from the store`);
      const from = offset + at - i * FILE_CHUNK;
      const n = Math.min(part.length - from, count - at);
      out.set(part.subarray(from, from + n), at);
      at += n;
    }
    return out;
  }

  private chunk(id: string, i: number): Promise<Uint8Array | undefined> {
    const key = `${id}:${i}`;
    let p = this.chunks.get(key);
    if (p) {
      this.chunks.delete(key); // re-insert: most recently used last
    } else {
      p = this.db.get('fileData', key);
    }
    this.chunks.set(key, p);
    for (const old of this.chunks.keys()) {
      if (this.chunks.size <= CHUNK_CACHE) break;
      this.chunks.delete(old);
    }
    return p;
  }

  changed(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.sync().catch(() => undefined), PERSIST_DELAY_MS);
  }

  /** Writes every pending change to IndexedDB; flushes never overlap. */
  sync(): Promise<void> {
    clearTimeout(this.timer);
    const run = this.flushing.then(() => flushAll(this.db, this.fs.mounts, this.pack));
    this.flushing = run.then(
      () => {
        this.full = false;
      },
      (e: unknown) => {
        this.full = isOutOfSpace(e);
      },
    );
    return run;
  }

  checkSpace(): void {
    if (this.full) fail(E.NOSPC);
  }
}
