import { type Digest, verifyBytes } from '../oci/digest.ts';
import type { BatchWriter } from './batch-writer.ts';
import type { BlobRecord, Db, IngestRecord } from './db.ts';

export const BLOB_CHUNK = 1 << 20;

/**
 * Blobs by digest. A blob exists for readers only once its `blobs` record is written, which
 * happens after its bytes were verified; until then its chunks belong to an ingest, which a
 * later pull resumes from (containerd's content store works the same way).
 */
export class ContentStore {
  constructor(private readonly db: Db) {}

  get(digest: Digest): Promise<BlobRecord | undefined> {
    return this.db.get('blobs', digest);
  }

  async has(digest: Digest): Promise<boolean> {
    return (await this.db.getKey('blobs', digest)) !== undefined;
  }

  /** Stores a small blob (manifest, config) in one transaction after verifying it. */
  async putVerified(digest: Digest, bytes: Uint8Array, mediaType: string): Promise<void> {
    await verifyBytes(bytes, digest, `blob ${digest}`);
    if (await this.has(digest)) return;
    const tx = this.db.transaction(['blobs', 'blobChunks'], 'readwrite');
    const chunks = Math.max(1, Math.ceil(bytes.byteLength / BLOB_CHUNK));
    for (let i = 0; i < chunks; i++) {
      void tx.objectStore('blobChunks').put(bytes.slice(i * BLOB_CHUNK, (i + 1) * BLOB_CHUNK), [digest, i]);
    }
    void tx.objectStore('blobs').put({ digest, size: bytes.byteLength, mediaType, chunkSize: BLOB_CHUNK, chunks, createdAt: Date.now() });
    await tx.done;
  }

  async readAll(digest: Digest): Promise<Uint8Array | undefined> {
    const rec = await this.get(digest);
    if (!rec) return undefined;
    const out = new Uint8Array(rec.size);
    let at = 0;
    for await (const c of this.chunks(digest, 0, rec.chunks)) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }

  /** Chunks [from, to) of a blob or an ingest, read a few at a time. */
  async *chunks(digest: Digest, from: number, to: number): AsyncGenerator<Uint8Array> {
    const BATCH = 8;
    for (let i = from; i < to; i += BATCH) {
      const tx = this.db.transaction('blobChunks');
      const end = Math.min(to, i + BATCH);
      const got = await Promise.all(Array.from({ length: end - i }, (_, k) => tx.store.get([digest, i + k])));
      for (const c of got) {
        if (!c) throw new Error(`content store: chunk missing for ${digest}`);
        yield c;
      }
    }
  }

  ingest(digest: Digest): Promise<IngestRecord | undefined> {
    return this.db.get('ingests', digest);
  }

  /** Queues one full chunk of an ingest together with the ingest's new length. */
  async writeIngestChunk(w: BatchWriter, digest: Digest, index: number, bytes: Uint8Array): Promise<void> {
    await w.put('blobChunks', bytes, [digest, index], bytes.byteLength);
    await w.put('ingests', { digest, chunks: index + 1, chunkSize: BLOB_CHUNK, updatedAt: Date.now() });
  }

  /** Queues the blob record that makes a verified ingest a blob. */
  async commitIngest(w: BatchWriter, digest: Digest, size: number, mediaType: string, chunks: number): Promise<void> {
    await w.put('blobs', { digest, size, mediaType, chunkSize: BLOB_CHUNK, chunks, createdAt: Date.now() });
    await w.delete('ingests', digest);
  }

  /** Drops an ingest whose bytes turned out wrong. */
  async discardIngest(digest: Digest): Promise<void> {
    const tx = this.db.transaction(['ingests', 'blobChunks'], 'readwrite');
    void tx.objectStore('ingests').delete(digest);
    void tx.objectStore('blobChunks').delete(IDBKeyRange.bound([digest, 0], [digest, Infinity]));
    await tx.done;
  }

  async deleteBlob(digest: Digest): Promise<void> {
    const tx = this.db.transaction(['blobs', 'blobChunks'], 'readwrite');
    void tx.objectStore('blobs').delete(digest);
    void tx.objectStore('blobChunks').delete(IDBKeyRange.bound([digest, 0], [digest, Infinity]));
    await tx.done;
  }
}
