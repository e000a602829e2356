import { blobPath, type LayoutSource } from '../../core/archive/layout-source.ts';
import { InvalidParameterError, ManifestInvalidError } from '../../core/errors.ts';
import { chainIds, type Digest, sha256Of } from '../../core/oci/digest.ts';
import { type Descriptor, type ImageManifest, parseImageConfig, parseManifest } from '../../core/oci/manifest.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import type { Platform } from '../../core/oci/platform.ts';
import { parseReference, type Reference } from '../../core/oci/reference.ts';
import type { ImageRecord } from '../../core/store/image-types.ts';
import { applyLayers, type PullDeps, type PullOptions, type PullStats, selectPlatform } from './pull.ts';
import { isWasmArtifact, wasmArtifactConfig } from './wasm-artifact.ts';

export interface ImportedImage {
  readonly image: ImageRecord;
  readonly tags: readonly Reference[];
}

const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

interface Candidate {
  manifestBytes: Uint8Array;
  manifestDigest: Digest;
  tags: Reference[];
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** `docker save`'s manifest.json: an archive is outside input, so its shape is checked, not assumed. */
function dockerManifestEntries(bytes: Uint8Array): DockerManifestEntry[] {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ManifestInvalidError('invalid manifest.json: not JSON');
  }
  const ok = (e: unknown): e is DockerManifestEntry => {
    const r = e as Partial<Record<keyof DockerManifestEntry, unknown>> | null;
    return typeof r === 'object' && r !== null && typeof r.Config === 'string' && isStrings(r.Layers) && (r.RepoTags == null || isStrings(r.RepoTags));
  };
  if (!Array.isArray(v) || !v.every(ok)) throw new ManifestInvalidError('invalid manifest.json: expected a list of {Config, RepoTags, Layers}');
  return v;
}

/** An OCI ref name is a tag, or (as our demo layouts and containerd write) a whole reference. */
function refFromAnnotations(a: Readonly<Record<string, string>> | undefined): Reference[] {
  const name = a?.[CONTAINERD_NAME] ?? a?.[REF_NAME];
  if (!name) return [];
  try {
    return [parseReference(name)];
  } catch {
    return [];
  }
}

function layerMediaType(bytes: Uint8Array): string {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return MediaType.DockerLayerGzip;
  if (bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) return MediaType.OciLayerZstd;
  return MediaType.DockerLayer;
}

/** The images an archive offers: from an OCI `index.json`, else from `docker save`'s `manifest.json`. */
async function candidates(src: LayoutSource, platform: Platform | undefined): Promise<{ list: Candidate[]; extraBlobs: Map<Digest, Uint8Array> }> {
  const extraBlobs = new Map<Digest, Uint8Array>();
  const indexBytes = await src.file('index.json');
  if (indexBytes) {
    const parsed = parseManifest(indexBytes, MediaType.OciIndex);
    if (parsed.kind !== 'index') throw new ManifestInvalidError('index.json is not an image index');
    const list: Candidate[] = [];
    for (const d of parsed.index.manifests) {
      let desc: Descriptor = d;
      let bytes = await src.file(blobPath(desc.digest));
      if (!bytes) throw new ManifestInvalidError(`archive lacks manifest ${desc.digest}`);
      const inner = parseManifest(bytes, desc.mediaType);
      if (inner.kind === 'index') {
        extraBlobs.set(desc.digest, bytes);
        desc = selectPlatform(inner.index.manifests, platform);
        bytes = await src.file(blobPath(desc.digest));
        if (!bytes) throw new ManifestInvalidError(`archive lacks manifest ${desc.digest}`);
      }
      list.push({ manifestBytes: bytes, manifestDigest: desc.digest, tags: refFromAnnotations(d.annotations) });
    }
    return { list, extraBlobs };
  }
  const dockerManifest = await src.file('manifest.json');
  if (!dockerManifest) throw new InvalidParameterError(`not an image archive or OCI layout: no index.json or manifest.json in ${src.describe}`);
  const entries = dockerManifestEntries(dockerManifest);
  const list: Candidate[] = [];
  for (const e of entries) {
    const configBytes = await src.file(e.Config);
    if (!configBytes) throw new ManifestInvalidError(`archive lacks ${e.Config}`);
    const configDigest = await sha256Of(configBytes);
    extraBlobs.set(configDigest, configBytes);
    const layers: Descriptor[] = [];
    for (const p of e.Layers) {
      const b = await src.file(p);
      if (!b) throw new ManifestInvalidError(`archive lacks layer ${p}`);
      const digest = await sha256Of(b);
      extraBlobs.set(digest, b);
      layers.push({ mediaType: layerMediaType(b), digest, size: b.byteLength });
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: { mediaType: MediaType.DockerConfig, digest: configDigest, size: configBytes.byteLength },
      layers,
    };
    const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
    list.push({ manifestBytes, manifestDigest: await sha256Of(manifestBytes), tags: (e.RepoTags ?? []).map((t) => parseReference(t)) });
  }
  return { list, extraBlobs };
}

/**
 * Imports every image of an archive or layout: blobs verified, layers unpacked exactly as a
 * pull does (same snapshots, same dedup), and records returned for the caller to commit.
 */
export async function importImages(deps: PullDeps, src: LayoutSource, opts: PullOptions & { stats: PullStats }): Promise<ImportedImage[]> {
  const { list, extraBlobs } = await candidates(src, opts.platform);
  const read = async (d: Digest): Promise<Uint8Array> => {
    const b = extraBlobs.get(d) ?? (await src.file(blobPath(d)));
    if (!b) throw new ManifestInvalidError(`archive lacks blob ${d}`);
    return b;
  };
  const out: ImportedImage[] = [];
  for (const c of list) {
    const parsed = parseManifest(c.manifestBytes);
    if (parsed.kind !== 'manifest') throw new ManifestInvalidError('expected an image manifest');
    const manifest: ImageManifest = parsed.manifest;
    const configRaw = await read(manifest.config.digest);
    const config = isWasmArtifact(manifest) ? wasmArtifactConfig(configRaw, manifest) : parseImageConfig(configRaw);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) throw new ManifestInvalidError('config and manifest disagree on the number of layers');
    const chain = await chainIds(diffIds);
    const { size } = await applyLayers(deps, manifest.layers, diffIds, chain, opts.stats, opts, (desc, ingest) =>
      (async function* () {
        const direct = extraBlobs.get(desc.digest);
        for await (const piece of direct ? [direct] : src.stream(blobPath(desc.digest))) {
          await ingest.write(piece);
          yield piece;
        }
        await ingest.finish();
      })(),
    );
    await deps.content.putVerified(c.manifestDigest, c.manifestBytes, manifest.mediaType);
    await deps.content.putVerified(manifest.config.digest, configRaw, manifest.config.mediaType);
    const platform: Platform = { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
    out.push({
      image: {
        id: manifest.config.digest,
        manifestDigest: c.manifestDigest,
        manifestMediaType: manifest.mediaType,
        repoDigests: [],
        config,
        platform,
        layers: manifest.layers,
        diffIds,
        chainIds: chain,
        size,
        createdAt: Date.now(),
      },
      tags: c.tags,
    });
  }
  return out;
}
