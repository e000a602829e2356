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
  readonly Healthcheck?: HealthConfig;
  /** ONBUILD triggers, as written: run by a build whose FROM is this image. */
  readonly OnBuild?: readonly string[] | null;
}

/**
 * Docker's `HEALTHCHECK`: `Test` is `["CMD", …]`, `["CMD-SHELL", "…"]`, `["NONE"]` (disabled) or
 * empty (inherit); durations are nanoseconds, 0 = the default.
 */
export interface HealthConfig {
  readonly Test?: readonly string[];
  readonly Interval?: number;
  readonly Timeout?: number;
  readonly StartPeriod?: number;
  readonly StartInterval?: number;
  readonly Retries?: number;
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * Deeper than any real manifest or config. A value nested much deeper overflows the stack of
 * whatever copies it later (IndexedDB's structured clone, JSON.stringify), far from the cause.
 */
const MAX_JSON_DEPTH = 100;

/** Whether `text` nests arrays and objects deeper than MAX_JSON_DEPTH (brackets in strings ignored). */
function tooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) fail(`${what} is larger than ${MAX_MANIFEST_BYTES} bytes`);
  let v: unknown;
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    fail(`${what} is not valid UTF-8 (${(e as Error).message})`);
  }
  if (tooDeep(text)) fail(`${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    v = JSON.parse(text);
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
  const p = d.platform;
  if (p !== undefined && !(isObject(p) && typeof p.os === 'string' && typeof p.architecture === 'string')) fail(`${where}: invalid platform`);
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

/** The fields `docker run` uses, checked here so a hostile image fails at pull, not deep inside a create. */
function checkContainerConfig(cc: unknown): void {
  if (!isObject(cc)) fail('image config: config is not an object');
  for (const k of ['User', 'WorkingDir', 'StopSignal']) if (cc[k] !== undefined && typeof cc[k] !== 'string') fail(`image config: config.${k} is not a string`);
  for (const k of ['Env', 'Entrypoint', 'Cmd']) if (cc[k] != null && !isStrings(cc[k])) fail(`image config: config.${k} is not a list of strings`);
  for (const k of ['ExposedPorts', 'Volumes']) if (cc[k] != null && !isObject(cc[k])) fail(`image config: config.${k} is not an object`);
  if (cc.Healthcheck != null && !(isObject(cc.Healthcheck) && (cc.Healthcheck.Test == null || isStrings(cc.Healthcheck.Test)))) {
    fail('image config: config.Healthcheck.Test is not a list of strings');
  }
  if (cc.Labels != null && !(isObject(cc.Labels) && Object.values(cc.Labels).every((v) => typeof v === 'string'))) {
    fail('image config: config.Labels is not a map of strings');
  }
}

export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const c = parseJson(bytes, 'image config');
  const rootfs = c.rootfs as Record<string, unknown> | undefined;
  if (!rootfs || !Array.isArray(rootfs.diff_ids)) fail('image config has no rootfs.diff_ids');
  for (const d of rootfs.diff_ids) if (typeof d !== 'string' || !isDigest(d)) fail(`invalid diff_id ${JSON.stringify(d)}`);
  if (typeof c.os !== 'string' || typeof c.architecture !== 'string') fail('image config has no os/architecture');
  if (c.config !== undefined && c.config !== null) checkContainerConfig(c.config);
  return c as unknown as ImageConfig;
}
