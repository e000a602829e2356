import type { Digest } from '../../core/oci/digest.ts';
import type { ImageConfig, ImageManifest } from '../../core/oci/manifest.ts';
import { isWasmConfigType } from '../../core/oci/media-types.ts';

/** Where the raw module of a Wasm OCI artifact appears in the container's root filesystem. */
export const WASM_ARTIFACT_PATH = '/app.wasm';

export function isWasmArtifact(m: ImageManifest): boolean {
  return isWasmConfigType(m.config.mediaType);
}

/**
 * A Wasm OCI artifact (CNCF TAG-Runtime layout) has no rootfs config: its single layer is the
 * module itself. We give it the config an image would have, so it runs like any WASI image.
 */
export function wasmArtifactConfig(raw: Uint8Array, m: ImageManifest): ImageConfig {
  let parsed: { os?: string; architecture?: string; created?: string; author?: string } = {};
  try {
    parsed = JSON.parse(new TextDecoder().decode(raw)) as typeof parsed;
  } catch {
    /* an artifact config may be empty; defaults below */
  }
  return {
    os: parsed.os ?? 'wasip1',
    architecture: parsed.architecture ?? 'wasm',
    ...(parsed.created ? { created: parsed.created } : {}),
    ...(parsed.author ? { author: parsed.author } : {}),
    config: { Entrypoint: [WASM_ARTIFACT_PATH] },
    rootfs: { type: 'layers', diff_ids: m.layers.map((l) => l.digest as Digest) },
    history: [{ ...(parsed.created ? { created: parsed.created } : {}), created_by: 'wasm artifact' }],
  };
}
