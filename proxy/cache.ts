import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type Stats, unlinkSync, type WriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CachedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Buffer;
}

/** An open cache file: the handle stays valid even if the entry is evicted while it is served. */
export interface CachedBlob {
  readonly handle: FileHandle;
  readonly size: number;
}

export interface BlobWriter {
  /** Whether the bytes are going to disk (false: too big for the cache, cache off, disk error). */
  readonly storing: boolean;
  /** Hashes (and stores) a chunk; returns a promise when the disk asks the caller to wait. */
  write(chunk: Buffer): Promise<void> | undefined;
  /** True when the bytes written match the digest; they are then in the cache if they fit. */
  finish(): Promise<boolean>;
  /** Throws away what was written (the download failed). */
  abort(): void;
}

const ALGORITHMS = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ } as const;
const KINDS = ['blobs', 'manifests'] as const;
/** Older partial files are leftovers of a crashed process, not downloads in progress. */
const TMP_STALE_MS = 60 * 60 * 1000;
const READ_CHUNK = 1024 * 1024;
const WRITE_BUFFER = 8 * 1024 * 1024;

/**
 * The pull-through cache on disk, content-addressed, so nothing in it ever goes stale:
 *
 *     blobs/<alg>/<hex>        blob bytes
 *     manifests/<alg>/<hex>    media type, "\n", manifest bytes
 *     tmp/                     downloads in progress, renamed into place once verified
 *
 * Bytes are verified against their digest before they are stored. Manifests (small) are
 * verified again on every read; a blob is verified the first time this process serves it and
 * again whenever its inode, size or times change, so a file damaged on disk is noticed, deleted
 * and refetched rather than served. Past `maxBytes`, least recently used entries are deleted;
 * the order of use is kept in memory and seeded at start from the files' access/modify times.
 */
export class DiskCache {
  /** Relative path → size, least recently used first. */
  private readonly lru = new Map<string, number>();
  private total = 0;
  /** Relative path → stat signature of a file whose bytes were checked against its digest. */
  private readonly verified = new Map<string, string>();
  private readonly ready: Promise<void>;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {
    this.ready = maxBytes > 0 ? this.scan() : Promise.resolve();
  }

  private get enabled(): boolean {
    return this.maxBytes > 0;
  }

  async getManifest(digest: string): Promise<CachedManifest | undefined> {
    if (!this.enabled) return undefined;
    await this.ready;
    const rel = relPath('manifests', digest);
    let raw: Buffer;
    try {
      raw = await readFile(join(this.dir, rel));
    } catch {
      this.forget(rel);
      return undefined;
    }
    const nl = raw.indexOf(0x0a);
    const bytes = raw.subarray(nl + 1);
    if (nl < 0 || digestOf(digest, bytes) !== digest) {
      this.drop(rel);
      return undefined;
    }
    this.touch(rel, raw.length);
    return { digest, mediaType: raw.subarray(0, nl).toString('utf8'), bytes };
  }

  /** Stores a manifest whose bytes the caller has already checked against `digest`. */
  async putManifest(m: CachedManifest): Promise<void> {
    if (!this.enabled) return;
    await this.ready;
    const data = Buffer.concat([Buffer.from(`${m.mediaType}\n`), m.bytes]);
    if (data.length > this.maxBytes) return;
    const rel = relPath('manifests', m.digest);
    const tmp = this.tmpPath(m.digest);
    try {
      await writeFile(tmp, data);
      await rename(tmp, join(this.dir, rel));
      this.add(rel, data.length);
    } catch {
      removeQuietly(tmp); // a disk error stops the caching, not the request
    }
  }

  async openBlob(digest: string): Promise<CachedBlob | undefined> {
    if (!this.enabled) return undefined;
    await this.ready;
    const rel = relPath('blobs', digest);
    let handle: FileHandle;
    try {
      handle = await open(join(this.dir, rel), 'r');
    } catch {
      this.forget(rel);
      return undefined;
    }
    try {
      const st = await handle.stat();
      const sig = signature(st);
      if (this.verified.get(rel) !== sig) {
        if ((await digestOfFile(digest, handle)) !== digest) {
          await handle.close();
          this.drop(rel);
          return undefined;
        }
        this.verified.set(rel, sig);
      }
      this.touch(rel, st.size);
      return { handle, size: st.size };
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /**
   * A sink for a blob download. It always hashes; it also writes to a temporary file when the
   * blob can be cached (`expectedSize`, if known, fits), and renames that file into place only
   * if the digest matches. A disk error stops the caching, not the download.
   */
  async blobWriter(digest: string, expectedSize: number | undefined): Promise<BlobWriter> {
    await this.ready;
    const hash = createHash(algorithmOf(digest));
    let size = 0;
    const tmp = this.tmpPath(digest);
    let out: WriteStream | undefined;
    const discard = () => {
      if (!out) return;
      out.destroy();
      out = undefined;
      removeQuietly(tmp);
    };
    if (this.enabled && (expectedSize === undefined || expectedSize <= this.maxBytes)) {
      // A deep buffer lets disk writes overlap the network instead of pacing it chunk by chunk.
      out = createWriteStream(tmp, { flags: 'wx', highWaterMark: WRITE_BUFFER });
      out.on('error', discard);
    }
    return {
      get storing() {
        return out !== undefined;
      },
      write: (chunk) => {
        hash.update(chunk);
        size += chunk.length;
        if (!out || out.write(chunk)) return undefined;
        const stream = out;
        return new Promise<void>((resolve) => {
          const done = () => {
            stream.off('drain', done).off('close', done);
            resolve();
          };
          stream.on('drain', done).on('close', done);
        });
      },
      finish: async () => {
        const ok = `${algorithmOf(digest)}:${hash.digest('hex')}` === digest;
        if (!ok || !out || size > this.maxBytes) {
          discard();
          return ok;
        }
        const stream = out;
        try {
          stream.end();
          await once(stream, 'close'); // rejects if the last writes failed
          const rel = relPath('blobs', digest);
          const final = join(this.dir, rel);
          await rename(tmp, final);
          // rename() changes ctime, so the signature is taken from the file in its final place.
          this.verified.set(rel, signature(await stat(final)));
          this.add(rel, size);
        } catch {
          discard();
        }
        return true;
      },
      abort: discard,
    };
  }

  private tmpPath(digest: string): string {
    const hex = digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 17);
    return join(this.dir, 'tmp', `${hex}.${process.pid}.${randomBytes(6).toString('hex')}`);
  }

  private touch(rel: string, size: number): void {
    const known = this.lru.get(rel);
    if (known === undefined) {
      this.add(rel, size); // put there by another process sharing the directory
      return;
    }
    this.lru.delete(rel);
    this.lru.set(rel, known);
  }

  private add(rel: string, size: number): void {
    this.total -= this.lru.get(rel) ?? 0;
    this.lru.delete(rel);
    this.lru.set(rel, size);
    this.total += size;
    for (const victim of this.lru.keys()) {
      if (this.total <= this.maxBytes) break;
      if (victim !== rel) this.drop(victim);
    }
  }

  /** Deletes an entry. Synchronous so a later re-download of the same digest can't be unlinked by it. */
  private drop(rel: string): void {
    this.forget(rel);
    try {
      unlinkSync(join(this.dir, rel));
    } catch {
      // Already gone.
    }
  }

  private forget(rel: string): void {
    this.total -= this.lru.get(rel) ?? 0;
    this.lru.delete(rel);
    this.verified.delete(rel);
  }

  private async scan(): Promise<void> {
    for (const kind of KINDS) {
      for (const alg of Object.keys(ALGORITHMS)) await mkdir(join(this.dir, kind, alg), { recursive: true });
    }
    const tmpDir = join(this.dir, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    for (const name of await readdir(tmpDir)) {
      const st = await stat(join(tmpDir, name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > TMP_STALE_MS) await rm(join(tmpDir, name), { force: true });
    }
    const found: { rel: string; size: number; used: number }[] = [];
    for (const kind of KINDS) {
      for (const [alg, hexRe] of Object.entries(ALGORITHMS)) {
        for (const name of await readdir(join(this.dir, kind, alg))) {
          if (!hexRe.test(name)) continue;
          const rel = join(kind, alg, name);
          const st = await stat(join(this.dir, rel)).catch(() => undefined);
          if (st?.isFile()) found.push({ rel, size: st.size, used: Math.max(st.atimeMs, st.mtimeMs) });
        }
      }
    }
    found.sort((a, b) => a.used - b.used);
    for (const f of found) this.add(f.rel, f.size);
  }
}

function relPath(kind: (typeof KINDS)[number], digest: string): string {
  const i = digest.indexOf(':');
  return join(kind, digest.slice(0, i), digest.slice(i + 1));
}

function algorithmOf(digest: string): string {
  return digest.slice(0, digest.indexOf(':'));
}

function digestOf(digest: string, bytes: Buffer): string {
  const alg = algorithmOf(digest);
  return `${alg}:${createHash(alg).update(bytes).digest('hex')}`;
}

async function digestOfFile(digest: string, handle: FileHandle): Promise<string> {
  const alg = algorithmOf(digest);
  const hash = createHash(alg);
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  for (let pos = 0; ; ) {
    const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return `${alg}:${hash.digest('hex')}`;
}

/** Changes whenever the file is rewritten, replaced, truncated or touched (ctime can't be set back). */
function signature(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

function removeQuietly(path: string): void {
  void rm(path, { force: true }).catch(() => undefined);
}
