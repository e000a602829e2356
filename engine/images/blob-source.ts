import { AbortError, RegistryError, SizeMismatchError } from '../../core/errors.ts';
import type { Descriptor } from '../../core/oci/manifest.ts';
import type { Reference } from '../../core/oci/reference.ts';
import { BLOB_CHUNK, type ContentStore } from '../../core/store/content-store.ts';
import type { IngestWriter } from '../../core/store/ingest-writer.ts';
import { iterate } from '../../core/unpack/streams.ts';
import type { RegistryClient } from '../registry/client.ts';

export interface BlobSourceStats {
  /** Bytes that came from the network in this pull (not from a stored ingest). */
  fetched: number;
  /** Bytes reused from an interrupted earlier download. */
  resumed: number;
}

/**
 * Yields a layer blob's bytes: first what an earlier, interrupted pull stored (its ingest),
 * then the rest from the registry with `Range`, reopening at the current offset when the
 * connection drops. New bytes go to the ingest as they pass.
 * Stops with SizeMismatchError as soon as the registry sends more than the descriptor says.
 */
export async function* blobSource(
  client: RegistryClient,
  content: ContentStore,
  ingest: IngestWriter,
  ref: Reference,
  desc: Descriptor,
  stats: BlobSourceStats,
  signal?: AbortSignal,
  attempts = 4,
): AsyncGenerator<Uint8Array> {
  let offset = 0;
  const earlier = await content.ingest(desc.digest);
  if (earlier && earlier.chunkSize === BLOB_CHUNK) {
    for await (const c of content.chunks(desc.digest, 0, earlier.chunks)) {
      offset += c.byteLength;
      yield c;
    }
    stats.resumed = offset;
    ingest.chunks = earlier.chunks;
  }
  let failures = 0;
  while (offset < desc.size) {
    const opened = await client.openBlob(ref, desc.digest, offset, signal);
    let skip = offset - opened.start;
    try {
      for await (let piece of iterate(opened.body.body!)) {
        if (skip > 0) {
          const s = Math.min(skip, piece.byteLength);
          piece = piece.subarray(s);
          skip -= s;
          if (piece.byteLength === 0) continue;
        }
        if (offset + piece.byteLength > desc.size) {
          throw new SizeMismatchError(`blob ${desc.digest} is larger than its descriptor says (${desc.size} bytes)`);
        }
        offset += piece.byteLength;
        stats.fetched += piece.byteLength;
        await ingest.write(piece);
        yield piece;
      }
      if (offset < desc.size && ++failures >= attempts) {
        throw new SizeMismatchError(`blob ${desc.digest} ended after ${offset} of ${desc.size} bytes`);
      }
    } catch (e) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: e });
      if (!(e instanceof TypeError)) throw e;
      if (++failures >= attempts) {
        throw new RegistryError(`download of ${desc.digest} failed: ${e.message}`, 502, undefined, { cause: e });
      }
    }
  }
  await ingest.finish();
}
