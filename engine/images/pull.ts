import { InvalidParameterError, PlatformNotFoundError, UnsupportedMediaTypeError } from '../../core/errors.ts';
import { chainIds as computeChainIds, type Digest, shortId } from '../../core/oci/digest.ts';
import { type Descriptor, type ImageConfig, type ImageManifest, parseImageConfig, parseManifest } from '../../core/oci/manifest.ts';
import { layerCompression } from '../../core/oci/media-types.ts';
import { formatPlatform, type Platform, platformMatches, RUNNABLE_PLATFORMS } from '../../core/oci/platform.ts';
import { type Reference, repoName } from '../../core/oci/reference.ts';
import { BatchWriter } from '../../core/store/batch-writer.ts';
import type { ContentStore } from '../../core/store/content-store.ts';
import type { Db } from '../../core/store/db.ts';
import type { ImageRecord } from '../../core/store/image-types.ts';
import { IngestWriter } from '../../core/store/ingest-writer.ts';
import type { SnapshotStore } from '../../core/store/snapshot-store.ts';
import type { SnapshotRecord } from '../../core/store/snapshot-types.ts';
import type { MergedTree } from '../../core/unpack/merged-tree.ts';
import type { RegistryClient } from '../registry/client.ts';
import { type BlobSourceStats, blobSource } from './blob-source.ts';
import type { ProgressListener } from './progress.ts';
import { type UnpackLimits, unpackLayer } from './unpack-layer.ts';
import { isWasmArtifact, wasmArtifactConfig } from './wasm-artifact.ts';

export interface PullDeps {
  readonly db: Db;
  readonly client: RegistryClient;
  readonly content: ContentStore;
  readonly snapshots: SnapshotStore;
  readonly limits: UnpackLimits;
}

export interface PullOptions {
  readonly platform?: Platform;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  /** Filled with the blobs this pull started downloading, so a failure can discard exactly those. */
  readonly ingesting?: Set<Digest>;
}

export interface PullStats {
  /** Layer bytes fetched from the network in this pull. */
  fetchedBytes: number;
  /** Layer bytes reused from an interrupted earlier pull. */
  resumedBytes: number;
  layersAlreadyPresent: number;
}

export interface PullResult {
  readonly image: ImageRecord;
  /** The digest the reference resolved to (the index's when there is one), as Docker prints. */
  readonly digest: Digest;
  readonly stats: PullStats;
}

/** Chooses the manifest for `want` (or the first runnable platform) from an index. */
export function selectPlatform(manifests: readonly Descriptor[], want: Platform | undefined): Descriptor {
  const withPlatform = manifests.filter((m) => m.platform && m.platform.os !== 'unknown');
  const wants = want ? [want] : RUNNABLE_PLATFORMS;
  for (const w of wants) {
    const hit = withPlatform.find((m) => platformMatches(w, m.platform!));
    if (hit) return hit;
  }
  throw new PlatformNotFoundError(
    want ? formatPlatform(want) : RUNNABLE_PLATFORMS.map(formatPlatform).join(' or '),
    withPlatform.map((m) => formatPlatform(m.platform!)),
  );
}

/**
 * Pulls an image: resolve, fetch manifest/config, then each missing layer streamed through
 * verification and unpack into a snapshot. The image record (and tag) is written last, in one
 * transaction, so an interrupted pull leaves no half-made image; its verified blobs, snapshots
 * and partial downloads are reused by the next pull.
 */
export async function pullImage(deps: PullDeps, ref: Reference, opts: PullOptions = {}): Promise<PullResult> {
  const { client, content } = deps;
  const { signal, onProgress } = opts;
  const stats: PullStats = { fetchedBytes: 0, resumedBytes: 0, layersAlreadyPresent: 0 };

  const top = await client.getManifest(ref, signal);
  let parsed = parseManifest(top.bytes, top.mediaType);
  const blobsToKeep: { digest: Digest; bytes: Uint8Array; mediaType: string }[] = [
    { digest: top.digest, bytes: top.bytes, mediaType: parsed.kind === 'index' ? parsed.index.mediaType : parsed.manifest.mediaType },
  ];
  let manifestDigest = top.digest;
  if (parsed.kind === 'index') {
    const chosen = selectPlatform(parsed.index.manifests, opts.platform);
    const child = await client.getManifest({ ...ref, digest: chosen.digest }, signal);
    parsed = parseManifest(child.bytes, child.mediaType);
    if (parsed.kind !== 'manifest') throw new UnsupportedMediaTypeError('nested image indexes are not supported');
    manifestDigest = chosen.digest;
    blobsToKeep.push({ digest: chosen.digest, bytes: child.bytes, mediaType: parsed.manifest.mediaType });
  }
  const manifest: ImageManifest = parsed.manifest;
  for (const l of manifest.layers) {
    if (!layerCompression(l.mediaType)) throw new UnsupportedMediaTypeError(`unsupported layer media type: ${l.mediaType}`);
  }

  const configRaw = (await content.readAll(manifest.config.digest)) ?? (await client.getBlobBytes(ref, manifest.config.digest, signal));
  const config: ImageConfig = isWasmArtifact(manifest) ? wasmArtifactConfig(configRaw, manifest) : parseImageConfig(configRaw);
  const platform: Platform = { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
  if (opts.platform && !platformMatches(opts.platform, platform)) {
    throw new PlatformNotFoundError(formatPlatform(opts.platform), [formatPlatform(platform)]);
  }
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new InvalidParameterError(`image config lists ${diffIds.length} layers, manifest ${manifest.layers.length}`);
  }
  blobsToKeep.push({ digest: manifest.config.digest, bytes: configRaw, mediaType: manifest.config.mediaType });
  const chain = await computeChainIds(diffIds);

  const image = await applyLayers(deps, manifest.layers, diffIds, chain, stats, opts, (desc, ingest, st) =>
    blobSource(client, content, ingest, ref, desc, st, signal),
  );
  for (const b of blobsToKeep) await content.putVerified(b.digest, b.bytes, b.mediaType);

  const record: ImageRecord = {
    id: manifest.config.digest,
    manifestDigest,
    manifestMediaType: manifest.mediaType,
    repoDigests: [`${repoName(ref)}@${top.digest}`],
    config,
    platform,
    layers: manifest.layers,
    diffIds,
    chainIds: chain,
    size: image.size,
    createdAt: Date.now(),
  };
  onProgress?.({ kind: 'status', message: `Digest: ${top.digest}` });
  return { image: record, digest: top.digest, stats };
}

type SourceFactory = (desc: Descriptor, ingest: IngestWriter, stats: BlobSourceStats) => AsyncIterable<Uint8Array>;

/**
 * Unpacks the layers an image lacks, bottom up, each committed as a snapshot (with its blob)
 * once verified. Shared by pull and load; `source` says where a layer's bytes come from.
 */
export async function applyLayers(
  deps: PullDeps,
  layers: readonly Descriptor[],
  diffIds: readonly Digest[],
  chain: readonly Digest[],
  stats: PullStats,
  opts: PullOptions,
  source: SourceFactory,
): Promise<{ size: number }> {
  const { db, content, snapshots, limits } = deps;
  const { onProgress, signal } = opts;
  const present = await Promise.all(chain.map((c) => snapshots.has(c)));
  layers.forEach((l, i) =>
    onProgress?.({ kind: 'layer', id: shortId(l.digest), digest: l.digest, status: present[i] ? 'Already exists' : 'Pulling fs layer' }),
  );
  let tree: MergedTree | undefined;
  let size = 0;
  for (let i = 0; i < layers.length; i++) {
    const desc = layers[i]!;
    const chainId = chain[i]!;
    if (present[i]) {
      stats.layersAlreadyPresent++;
      size += (await snapshots.get(chainId))?.size ?? 0;
      tree = undefined;
      continue;
    }
    signal?.throwIfAborted();
    tree ??= await snapshots.merged(chain.slice(0, i));
    const writer = new BatchWriter(db);
    const st: BlobSourceStats = { fetched: 0, resumed: 0 };
    const ingest = new IngestWriter(content, writer, desc.digest);
    const id = shortId(desc.digest);
    const stored = await content.has(desc.digest);
    if (!stored) opts.ingesting?.add(desc.digest);
    const bytes = stored ? content.chunks(desc.digest, 0, (await content.get(desc.digest))!.chunks) : source(desc, ingest, st);
    let lastReport = 0;
    let seen = 0;
    const reporting = (async function* () {
      for await (const c of bytes) {
        seen += c.byteLength;
        if (seen - lastReport >= 512 * 1024 || seen === desc.size) {
          lastReport = seen;
          onProgress?.({ kind: 'layer', id, digest: desc.digest, status: 'Downloading', current: seen, total: desc.size });
        }
        yield c;
      }
      onProgress?.({ kind: 'layer', id, digest: desc.digest, status: 'Verifying Checksum' });
      onProgress?.({ kind: 'layer', id, digest: desc.digest, status: 'Download complete' });
      onProgress?.({ kind: 'layer', id, digest: desc.digest, status: 'Extracting', current: desc.size, total: desc.size });
    })();
    let snap: SnapshotRecord;
    const next = tree.clone();
    try {
      snap = await unpackLayer(db, writer, reporting, desc, diffIds[i]!, chainId, chain[i - 1], next, limits);
      if (!stored) await content.commitIngest(writer, desc.digest, desc.size, desc.mediaType, ingest.chunks);
      await writer.put('snapshots', snap, undefined, 4096);
      await writer.drain();
    } catch (e) {
      await writer.drain().catch(() => undefined);
      throw e;
    } finally {
      stats.fetchedBytes += st.fetched;
      stats.resumedBytes += st.resumed;
    }
    tree = next;
    size += snap.size;
    onProgress?.({ kind: 'layer', id, digest: desc.digest, status: 'Pull complete' });
  }
  return { size };
}
