import { ManifestInvalidError, UnsupportedMediaTypeError } from '../errors.ts';
import { type Digest, isDigest } from './digest.ts';
import { isIndexType, isManifestType, MediaType } from './media-types.ts';
import type { Platform } from './platform.ts';

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
  readonly artifactType?: string;
}

export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface HistoryEntry {
  readonly created?: string;
  readonly created_by?: string;
  readonly author?: string;
  readonly comment?: string;
  readonly empty_layer?: boolean;
}

/** The runtime part of an image config (Docker's `Config`). */
export interface ContainerConfig {
  readonly User?: string;
  readonly ExposedPorts?: Readonly<Record<string, object>>;
  readonly Env?: readonly string[];
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  readonly Volumes?: Readonly<Record<string, object>> | null;
  readonly WorkingDir?: string;
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly StopSignal?: string;
}

export interface ImageConfig {
  readonly created?: string;
  readonly author?: string;
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly config?: ContainerConfig;
  readonly rootfs: { readonly type: 'layers'; readonly diff_ids: readonly Digest[] };
  readonly history?: readonly HistoryEntry[];
}

export type ParsedManifest = { kind: 'index'; index: ImageIndex } | { kind: 'manifest'; manifest: ImageManifest };

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

function fail(msg: string): never {
  throw new ManifestInvalidError(`invalid manifest: ${msg}`);
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) fail(`${what} is larger than ${MAX_MANIFEST_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    fail(`${what} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

function parseDescriptor(v: unknown, where: string): Descriptor {
  if (typeof v !== 'object' || v === null) fail(`${where}: descriptor is not an object`);
  const d = v as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') fail(`${where}: missing mediaType`);
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) fail(`${where}: invalid digest ${JSON.stringify(d.digest)}`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) fail(`${where}: invalid size`);
  return d as unknown as Descriptor;
}

/**
 * Parses an index or manifest. The media type comes from the body when present, else from the
 * response's Content-Type; unknown types (schema1, foreign artifacts) are refused.
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): ParsedManifest {
  const m = parseJson(bytes, 'manifest');
  if (m.schemaVersion !== 2) {
    throw new UnsupportedMediaTypeError(`unsupported manifest schemaVersion ${JSON.stringify(m.schemaVersion)} (schema 1 images are not supported)`);
  }
  const mediaType =
    typeof m.mediaType === 'string'
      ? m.mediaType
      : contentType && (isIndexType(contentType) || isManifestType(contentType))
        ? contentType
        : Array.isArray(m.manifests)
          ? MediaType.OciIndex
          : MediaType.OciManifest;
  if (isIndexType(mediaType)) {
    if (!Array.isArray(m.manifests)) fail('index has no manifests array');
    const manifests = m.manifests.map((d, i) => parseDescriptor(d, `manifests[${i}]`));
    return { kind: 'index', index: { ...(m as object), mediaType, manifests } as unknown as ImageIndex };
  }
  if (isManifestType(mediaType)) {
    const config = parseDescriptor(m.config, 'config');
    if (!Array.isArray(m.layers)) fail('manifest has no layers array');
    const layers = m.layers.map((d, i) => parseDescriptor(d, `layers[${i}]`));
    return { kind: 'manifest', manifest: { ...(m as object), mediaType, config, layers } as unknown as ImageManifest };
  }
  throw new UnsupportedMediaTypeError(`unsupported manifest media type: ${mediaType}`);
}

export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const c = parseJson(bytes, 'image config');
  const rootfs = c.rootfs as Record<string, unknown> | undefined;
  if (!rootfs || !Array.isArray(rootfs.diff_ids)) fail('image config has no rootfs.diff_ids');
  for (const d of rootfs.diff_ids) if (typeof d !== 'string' || !isDigest(d)) fail(`invalid diff_id ${JSON.stringify(d)}`);
  if (typeof c.os !== 'string' || typeof c.architecture !== 'string') fail('image config has no os/architecture');
  return c as unknown as ImageConfig;
}
