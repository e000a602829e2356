// Builds small images, hostile or broken on purpose, and pushes them to the test registry.
import { createHash, randomBytes } from 'node:crypto';
import { constants, deflateRawSync, gzipSync } from 'node:zlib';
import { pushBlob, pushManifest, type RunningRegistry } from './registry.ts';

export interface RawEntry {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char';
  data?: Uint8Array | string;
  linkName?: string;
  mode?: number;
  /** Size written into the header (defaults to the data's); lets a test lie about it. */
  claimedSize?: number;
}

const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', char: '3', dir: '5' } as const;

export function tarHeader(e: RawEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.name, 0, 100, 'utf8');
  h.write(((e.mode ?? (e.type === 'dir' ? 0o755 : 0o644)) & 0o7777).toString(8).padStart(7, '0') + '\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  if (size > 0o77777777777) {
    h[124] = 0x80; // GNU base-256 for sizes past the octal field
    h.writeBigUInt64BE(BigInt(size), 124 + 4);
  } else h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write(TYPEFLAG[e.type ?? 'file'], 156);
  if (e.linkName) h.write(e.linkName, 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

export function makeTar(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : Buffer.from(e.data ?? []);
    parts.push(tarHeader(e, e.claimedSize ?? data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface PushedImage {
  ref: string;
  repo: string;
  manifestDigest: string;
  layerDigests: string[];
  configDigest: string;
}

/**
 * Pushes an image whose layers are the given blobs. `diffIds` default to the sha256 of the
 * gunzipped tar the caller made; pass them when a layer is not a valid gzip on purpose.
 */
export async function pushImage(
  registry: string,
  repo: string,
  layers: { blob: Uint8Array; diffId: string; mediaType?: string }[],
  opts: { os?: string; architecture?: string; tag?: string } = {},
): Promise<PushedImage> {
  const reg = { url: `http://${registry}` } as RunningRegistry;
  const config = Buffer.from(
    JSON.stringify({
      architecture: opts.architecture ?? '386',
      os: opts.os ?? 'linux',
      config: { Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created: '2000-01-01T00:00:00Z', created_by: `layer ${i}` })),
    }),
  );
  const configDigest = await pushBlob(reg, repo, config);
  const layerDigests: string[] = [];
  for (const l of layers) layerDigests.push(await pushBlob(reg, repo, l.blob));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: layers.map((l, i) => ({
        mediaType: l.mediaType ?? 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: layerDigests[i],
        size: l.blob.length,
      })),
    }),
  );
  const tag = opts.tag ?? 'latest';
  const manifestDigest = await pushManifest(reg, repo, tag, manifest, 'application/vnd.oci.image.manifest.v1+json');
  return { ref: `${registry}/${repo}:${tag}`, repo, manifestDigest, layerDigests, configDigest };
}

/** A gzip layer from tar entries, with its DiffID. */
export function gzLayer(entries: RawEntry[]): { blob: Uint8Array; diffId: string } {
  const tar = makeTar(entries);
  return { blob: gzipSync(tar), diffId: sha(tar) };
}

/** A layer of `mb` MiB of random (incompressible) data in one file. */
export function randomLayer(mb: number, name = 'random.bin'): { blob: Uint8Array; diffId: string } {
  return gzLayer([{ name, data: randomBytes(mb << 20) }]);
}

/**
 * A gzip bomb: one tar entry claiming `gib` GiB, followed by that many GiB of zeros, made of a
 * repeated self-contained deflate block so it costs a few MB to build and store. It has no
 * gzip trailer: nothing should ever read that far.
 */
export function gzipBomb(gib: number): Uint8Array {
  const MiB = 1 << 20;
  const zeros = Buffer.alloc(MiB);
  const header = tarHeader({ name: 'zeros.bin' }, gib * 1024 * MiB);
  const first = deflateRawSync(Buffer.concat([header, zeros]), { finishFlush: constants.Z_FULL_FLUSH });
  const block = deflateRawSync(zeros, { finishFlush: constants.Z_FULL_FLUSH });
  const gzHeader = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  const blocks = gib * 1024 - 1;
  return Buffer.concat([gzHeader, first, ...Array.from({ length: blocks }, () => block)]);
}
