import type { Digest } from '../oci/digest.ts';
import type { BatchWriter } from './batch-writer.ts';
import { BLOB_CHUNK, type ContentStore } from './content-store.ts';

/** Cuts a blob's bytes into whole chunks and queues them as the blob's ingest, in order. */
export class IngestWriter {
  private pending = new Uint8Array(BLOB_CHUNK);
  private used = 0;

  constructor(
    private readonly content: ContentStore,
    private readonly writer: BatchWriter,
    private readonly digest: Digest,
    /** Chunks already in the ingest (when resuming). */
    public chunks = 0,
  ) {}

  async write(piece: Uint8Array): Promise<void> {
    let at = 0;
    while (at < piece.byteLength) {
      const take = Math.min(BLOB_CHUNK - this.used, piece.byteLength - at);
      this.pending.set(piece.subarray(at, at + take), this.used);
      this.used += take;
      at += take;
      if (this.used === BLOB_CHUNK) {
        await this.content.writeIngestChunk(this.writer, this.digest, this.chunks++, this.pending);
        this.pending = new Uint8Array(BLOB_CHUNK);
        this.used = 0;
      }
    }
  }

  async finish(): Promise<void> {
    if (this.used > 0) await this.content.writeIngestChunk(this.writer, this.digest, this.chunks++, this.pending.slice(0, this.used));
    this.used = 0;
  }
}
