import { DigestMismatchError, LayerFormatError, UnsupportedMediaTypeError } from '../../core/errors.ts';
import type { Digest } from '../../core/oci/digest.ts';
import type { Descriptor } from '../../core/oci/manifest.ts';
import { layerCompression } from '../../core/oci/media-types.ts';
import { Sha256Stream } from '../../core/oci/sha256-stream.ts';
import type { BatchWriter } from '../../core/store/batch-writer.ts';
import type { Db } from '../../core/store/db.ts';
import { FileSink } from '../../core/store/file-store.ts';
import type { LayerEntry, SnapshotRecord } from '../../core/store/snapshot-types.ts';
import { decompress } from '../../core/unpack/decompress.ts';
import { readLayerEntries } from '../../core/unpack/layer-entries.ts';
import type { MergedTree } from '../../core/unpack/merged-tree.ts';
import { readTar } from '../../core/unpack/tar-reader.ts';
import { WASM_ARTIFACT_PATH } from './wasm-artifact.ts';

export interface UnpackLimits {
  /** Most bytes one layer may expand to. */
  readonly maxLayerBytes: number;
}

async function* tap(src: AsyncIterable<Uint8Array>, f: (c: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  for await (const c of src) {
    f(c);
    yield c;
  }
}

/**
 * Streams one layer blob through digest check, decompression, DiffID check and tar reading
 * into a snapshot record, storing file contents on the way. `tree` (the lower layers, merged)
 * receives the layer, which is where hostile entries are refused. Nothing is committed here.
 */
export async function unpackLayer(
  db: Db,
  writer: BatchWriter,
  bytes: AsyncIterable<Uint8Array>,
  desc: Descriptor,
  diffId: Digest,
  chainId: Digest,
  parent: Digest | undefined,
  tree: MergedTree,
  limits: UnpackLimits,
): Promise<SnapshotRecord> {
  const compression = layerCompression(desc.mediaType);
  if (!compression) throw new UnsupportedMediaTypeError(`unsupported layer media type: ${desc.mediaType}`);
  const blobHash = await Sha256Stream.create();
  let blobSize = 0;
  const counted = tap(bytes, (c) => {
    blobHash.update(c);
    blobSize += c.byteLength;
  });
  // The unpack side may stop reading early (a corrupt layer); this shield keeps the source
  // open so the rest can still be hashed to tell a corrupt download from a corrupt image.
  const source = counted[Symbol.asyncIterator]();
  const shielded: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({ next: () => source.next(), return: async () => ({ done: true, value: undefined }) }),
  };
  const sink = new FileSink(db, writer);
  let entries: LayerEntry[];
  let size: number;
  let diffActual: Digest;
  try {
    if (compression === 'wasm') {
      let n = 0;
      const sha = await sink.write(
        desc.size,
        tap(shielded, (c) => (n += c.byteLength)),
      );
      entries = [{ path: WASM_ARTIFACT_PATH, type: 'file', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: n, sha }];
      size = n;
      diffActual = `sha256:${sha}` as Digest;
    } else {
      const diffHash = await Sha256Stream.create();
      const tarBytes = tap(decompress(shielded, compression, limits.maxLayerBytes), (c) => diffHash.update(c));
      ({ entries, size } = await readLayerEntries(readTar(tarBytes), sink));
      // Drain what follows the end-of-archive blocks so both digests cover the whole blob.
      for await (const _ of tarBytes);
      diffActual = await diffHash.digest();
    }
  } catch (e) {
    if (!(e instanceof LayerFormatError)) throw e;
    for (let r = await source.next(); !r.done; r = await source.next());
    const actual = await blobHash.digest();
    if (actual !== desc.digest) throw new DigestMismatchError(desc.digest, actual, `layer ${desc.digest}`);
    throw e;
  }
  const blobDigest = await blobHash.digest();
  if (blobDigest !== desc.digest) throw new DigestMismatchError(desc.digest, blobDigest, `layer ${desc.digest}`);
  if (blobSize !== desc.size) throw new DigestMismatchError(desc.digest, blobDigest, `layer ${desc.digest} (size ${blobSize} != ${desc.size})`);
  if (diffActual !== diffId) throw new DigestMismatchError(diffId, diffActual, `uncompressed layer ${desc.digest} (DiffID)`);
  tree.apply(entries);
  await sink.finish();
  return { chainId, diffId, ...(parent ? { parent } : {}), entries, size, createdAt: Date.now() };
}
