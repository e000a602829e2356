import { blobPath } from '../../core/archive/layout-source.ts';
import { type Digest, sha256Of } from '../../core/oci/digest.ts';
import type { ContainerConfig, Descriptor, HistoryEntry, ImageConfig } from '../../core/oci/manifest.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import type { Platform } from '../../core/oci/platform.ts';
import type { ImageRecord } from '../../core/store/image-types.ts';

const enc = new TextEncoder();

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** What a build step's image is made of: the step before it, plus a config change and perhaps a layer. */
export interface StepImage {
  readonly platform: Platform;
  /** The parent's layers and diff IDs (none for `FROM scratch`). */
  readonly layers: readonly Descriptor[];
  readonly diffIds: readonly Digest[];
  readonly history: readonly HistoryEntry[];
  readonly config: ContainerConfig;
  /** RFC 3339. */
  readonly created: string;
}

/** A stored image as the step the next one builds on. */
export function stepOfImage(image: ImageRecord): StepImage {
  return {
    platform: image.platform,
    layers: image.layers,
    diffIds: image.diffIds,
    history: image.config.history ?? [],
    config: image.config.config ?? {},
    created: image.config.created ?? '',
  };
}

/**
 * An OCI image layout in memory for `ImageService.importBuilt`: the step's config (with its
 * history lines) and manifest, and its new layer gzipped, when it made one. The same inputs give
 * the same bytes, so the same digest.
 */
export async function stepLayout(
  parent: StepImage,
  /** `history`: the lines this step adds (the metadata instructions since the last layer, then its own). */
  step: { readonly history: readonly HistoryEntry[]; readonly config: ContainerConfig; readonly layer?: Uint8Array; readonly created: string },
): Promise<{ layout: Map<string, Uint8Array>; image: StepImage }> {
  const layout = new Map<string, Uint8Array>();
  let layers = parent.layers;
  let diffIds = parent.diffIds;
  if (step.layer) {
    const gz = await gzip(step.layer);
    const digest = await sha256Of(gz);
    layout.set(blobPath(digest), gz);
    layers = [...layers, { mediaType: MediaType.OciLayerGzip, digest, size: gz.byteLength }];
    diffIds = [...diffIds, await sha256Of(step.layer)];
  }
  const history = [...parent.history, ...step.history];
  const config: ImageConfig = {
    created: step.created,
    architecture: parent.platform.architecture,
    os: parent.platform.os,
    ...(parent.platform.variant ? { variant: parent.platform.variant } : {}),
    config: step.config,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history,
  };
  const configBytes = enc.encode(JSON.stringify(config));
  const configDigest = await sha256Of(configBytes);
  layout.set(blobPath(configDigest), configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: configDigest, size: configBytes.byteLength },
    layers,
  };
  const manifestBytes = enc.encode(JSON.stringify(manifest));
  const manifestDigest = await sha256Of(manifestBytes);
  layout.set(blobPath(manifestDigest), manifestBytes);
  layout.set('oci-layout', enc.encode(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  layout.set(
    'index.json',
    enc.encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [{ mediaType: MediaType.OciManifest, digest: manifestDigest, size: manifestBytes.byteLength }],
      }),
    ),
  );
  return { layout, image: { platform: parent.platform, layers, diffIds, history, config: step.config, created: step.created } };
}
