// The content store (core/store/content-store.ts) over fake-indexeddb: blobs by digest, verified
// before they exist for readers; downloads as ingests, invisible until committed; deletion.
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DigestMismatchError, InvalidParameterError } from '../../../core/errors.ts';
import type { Digest } from '../../../core/oci/digest.ts';
import { BatchWriter } from '../../../core/store/batch-writer.ts';
import { BLOB_CHUNK, ContentStore } from '../../../core/store/content-store.ts';
import { type Db, openEngineDb } from '../../../core/store/db.ts';
import { IngestWriter } from '../../../core/store/ingest-writer.ts';

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const enc = new TextEncoder();
/** Deterministic bytes that differ chunk to chunk, so a chunk out of place shows. */
function bytesOf(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 20)) & 0xff;
  return out;
}

/** Byte-for-byte equality of big arrays (toEqual walks a typed array element by element: seconds per MiB). */
const sameBytes = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

let db: Db;
let content: ContentStore;
let dbCount = 0;

/** Chunk records stored under `digest`, blob or ingest. */
const chunkCount = (digest: Digest) => db.count('blobChunks', IDBKeyRange.bound([digest, 0], [digest, Infinity]));

/** Writes `bytes` as an ingest of `digest` in pieces of `piece` bytes, as a pull's download does. */
async function ingest(digest: Digest, bytes: Uint8Array, piece: number, writer = new BatchWriter(db)): Promise<IngestWriter> {
  const w = new IngestWriter(content, writer, digest);
  for (let at = 0; at < bytes.byteLength; at += piece) await w.write(bytes.subarray(at, at + piece));
  await w.finish();
  await writer.drain();
  return w;
}

beforeEach(async () => {
  db = await openEngineDb(`content-store-test-${process.pid}-${++dbCount}`);
  content = new ContentStore(db);
});
afterEach(() => {
  vi.restoreAllMocks();
  db.close();
});

describe('ContentStore.putVerified', () => {
  it('stores a verified blob that reads back byte for byte', async () => {
    const bytes = enc.encode('{"schemaVersion":2}');
    const d = sha(bytes);
    expect(await content.has(d)).toBe(false);
    expect(await content.get(d)).toBeUndefined();
    expect(await content.readAll(d)).toBeUndefined();

    await content.putVerified(d, bytes, 'application/vnd.oci.image.manifest.v1+json');

    expect(await content.has(d)).toBe(true);
    expect(await content.get(d)).toMatchObject({
      digest: d,
      size: bytes.byteLength,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      chunkSize: BLOB_CHUNK,
      chunks: 1,
    });
    expect(sameBytes(await content.readAll(d), bytes)).toBe(true);
  });

  it('cuts a blob larger than a chunk into chunks and reassembles it in order', async () => {
    const bytes = bytesOf(2 * BLOB_CHUNK + 12345);
    const d = sha(bytes);
    await content.putVerified(d, bytes, 'application/octet-stream');
    expect((await content.get(d))!.chunks).toBe(3);
    expect(await chunkCount(d)).toBe(3);
    const parts: Uint8Array[] = [];
    for await (const c of content.chunks(d, 0, 3)) parts.push(c);
    expect(parts.map((p) => p.byteLength)).toEqual([BLOB_CHUNK, BLOB_CHUNK, 12345]);
    expect(sameBytes(await content.readAll(d), bytes)).toBe(true);
  });

  it('stores an empty blob as one empty chunk', async () => {
    const empty = new Uint8Array(0);
    const d = sha(empty);
    await content.putVerified(d, empty, 'application/vnd.oci.empty.v1+json');
    expect(await content.get(d)).toMatchObject({ size: 0, chunks: 1 });
    expect(sameBytes(await content.readAll(d), empty)).toBe(true);
  });

  it('does nothing when the digest is already stored', async () => {
    const bytes = enc.encode('config');
    const d = sha(bytes);
    vi.spyOn(Date, 'now').mockReturnValue(1000);
    await content.putVerified(d, bytes, 'first/type');
    vi.spyOn(Date, 'now').mockReturnValue(2000);
    await content.putVerified(d, bytes, 'second/type');
    // The first record stands: same creation time, same media type, no extra chunks.
    expect(await content.get(d)).toMatchObject({ createdAt: 1000, mediaType: 'first/type', chunks: 1 });
    expect(await chunkCount(d)).toBe(1);
    expect(await db.count('blobs')).toBe(1);
  });

  it('refuses bytes that do not match the digest, leaving nothing behind', async () => {
    const claimed = sha(enc.encode('what the manifest said'));
    const err = await content.putVerified(claimed, enc.encode('what arrived'), 'application/octet-stream').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(err).toMatchObject({ expected: claimed, actual: sha(enc.encode('what arrived')) });
    expect(await content.has(claimed)).toBe(false);
    expect(await db.count('blobs')).toBe(0);
    expect(await db.count('blobChunks')).toBe(0);
  });

  it('refuses a digest algorithm it cannot verify', async () => {
    const d = `sha512:${'a'.repeat(128)}` as Digest;
    await expect(content.putVerified(d, enc.encode('x'), 'application/octet-stream')).rejects.toBeInstanceOf(InvalidParameterError);
    expect(await content.has(d)).toBe(false);
    expect(await db.count('blobChunks')).toBe(0);
  });
});

describe('ContentStore ingests', () => {
  it('keeps a download invisible to readers until it is committed', async () => {
    const bytes = bytesOf(BLOB_CHUNK * 2 + 777, 2);
    const d = sha(bytes);
    // Odd-sized pieces: the writer must cut whole chunks regardless of how bytes arrive.
    const w = await ingest(d, bytes, 300_001);
    expect(w.chunks).toBe(3);

    expect(await content.has(d)).toBe(false);
    expect(await content.get(d)).toBeUndefined();
    expect(await content.readAll(d)).toBeUndefined();
    expect(await content.ingest(d)).toMatchObject({ digest: d, chunks: 3, chunkSize: BLOB_CHUNK });

    const writer = new BatchWriter(db);
    await content.commitIngest(writer, d, bytes.byteLength, 'application/vnd.oci.image.layer.v1.tar+gzip', w.chunks);
    await writer.drain();

    expect(await content.has(d)).toBe(true);
    expect(await content.ingest(d)).toBeUndefined();
    expect(await content.get(d)).toMatchObject({ size: bytes.byteLength, chunks: 3, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
    expect(sameBytes(await content.readAll(d), bytes)).toBe(true);
  });

  it('resumes an interrupted ingest after its last whole chunk', async () => {
    const bytes = bytesOf(BLOB_CHUNK * 3 + 10, 3);
    const d = sha(bytes);
    // The first attempt stops after 2.5 chunks: only whole chunks are recorded.
    const first = new BatchWriter(db);
    const w1 = new IngestWriter(content, first, d);
    await w1.write(bytes.subarray(0, BLOB_CHUNK * 2 + BLOB_CHUNK / 2));
    await first.drain();
    const earlier = await content.ingest(d);
    expect(earlier?.chunks).toBe(2);

    // A later pull reads back what is there and continues from the next chunk.
    const resumed: Uint8Array[] = [];
    for await (const c of content.chunks(d, 0, earlier!.chunks)) resumed.push(c);
    expect(sameBytes(Buffer.concat(resumed), bytes.subarray(0, BLOB_CHUNK * 2))).toBe(true);
    const second = new BatchWriter(db);
    const w2 = new IngestWriter(content, second, d, earlier!.chunks);
    await w2.write(bytes.subarray(earlier!.chunks * BLOB_CHUNK));
    await w2.finish();
    await content.commitIngest(second, d, bytes.byteLength, 'application/octet-stream', w2.chunks);
    await second.drain();

    expect(w2.chunks).toBe(4);
    expect(sameBytes(await content.readAll(d), bytes)).toBe(true);
  });

  it('discards an ingest whose bytes turned out wrong, and only that one', async () => {
    const good = bytesOf(BLOB_CHUNK + 5, 4);
    const goodDigest = sha(good);
    await content.putVerified(goodDigest, good, 'application/octet-stream');
    const other = bytesOf(BLOB_CHUNK + 9, 5);
    const otherDigest = sha(other);
    await ingest(otherDigest, other, BLOB_CHUNK);

    const bad = sha(enc.encode('the bytes we expected'));
    await ingest(bad, bytesOf(BLOB_CHUNK * 2, 6), 65536);
    expect(await chunkCount(bad)).toBe(2);

    await content.discardIngest(bad);

    expect(await content.ingest(bad)).toBeUndefined();
    expect(await content.has(bad)).toBe(false);
    expect(await chunkCount(bad)).toBe(0);
    // Neighbours keep their chunks: the blob, and the other download still in progress.
    expect(sameBytes(await content.readAll(goodDigest), good)).toBe(true);
    expect(await content.ingest(otherDigest)).toMatchObject({ chunks: 2 });
    expect(await chunkCount(otherDigest)).toBe(2);
  });

  it('throws when a chunk it is asked for is missing', async () => {
    const d = sha(enc.encode('never written'));
    const read = async () => {
      for await (const _ of content.chunks(d, 0, 1)) {
        /* drain */
      }
    };
    await expect(read()).rejects.toThrow(/chunk missing/);
  });
});

describe('ContentStore.deleteBlob', () => {
  it('removes the blob and all its chunks, and nothing else', async () => {
    const a = bytesOf(BLOB_CHUNK * 2 + 1, 7);
    const b = bytesOf(100, 8);
    const da = sha(a);
    const db_ = sha(b);
    await content.putVerified(da, a, 'application/octet-stream');
    await content.putVerified(db_, b, 'application/octet-stream');

    await content.deleteBlob(da);

    expect(await content.has(da)).toBe(false);
    expect(await content.readAll(da)).toBeUndefined();
    expect(await chunkCount(da)).toBe(0);
    expect(sameBytes(await content.readAll(db_), b)).toBe(true);

    // Gone means gone: it can be stored again from scratch.
    await content.putVerified(da, a, 'application/octet-stream');
    expect(sameBytes(await content.readAll(da), a)).toBe(true);
  });

  it('is harmless for a digest that is not stored', async () => {
    await content.deleteBlob(sha(enc.encode('absent')));
    expect(await db.count('blobs')).toBe(0);
  });
});
