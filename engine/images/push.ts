import { NotFoundError } from '../../core/errors.ts';
import { type Digest, shortId } from '../../core/oci/digest.ts';
import type { Descriptor } from '../../core/oci/manifest.ts';
import { parseReference, type Reference, repoName } from '../../core/oci/reference.ts';
import type { ContentStore } from '../../core/store/content-store.ts';
import type { ImageRecord } from '../../core/store/image-types.ts';
import type { RegistryClient } from '../registry/client.ts';

/** A line of `docker push`'s progress: `5f70bf18a086: Pushed`. */
export interface PushProgress {
  readonly id: string;
  readonly status: 'Preparing' | 'Pushing' | 'Pushed' | 'Layer already exists' | `Mounted from ${string}`;
  readonly current?: number;
  readonly total?: number;
}

export interface PushResult {
  readonly digest: Digest;
  readonly size: number;
  readonly tag: string;
}

/**
 * `docker push`: each layer and the config, skipped when the repository has it, mounted from
 * another repository of the same registry the image came from, or uploaded in chunks; then the
 * manifest, byte for byte the stored one, so the pushed digest is the image's.
 */
export async function pushImage(
  deps: { client: RegistryClient; content: ContentStore },
  image: ImageRecord,
  ref: Reference,
  opts: { onProgress?: (p: PushProgress) => void; signal?: AbortSignal } = {},
): Promise<PushResult> {
  const { client, content } = deps;
  const manifest = await content.readAll(image.manifestDigest);
  if (!manifest) throw new NotFoundError(`content of manifest ${image.manifestDigest} is missing from the store`);
  const config = JSON.parse(new TextDecoder().decode(manifest)).config as Descriptor;
  // Repositories of this registry the image was pulled from: a blob there can be mounted.
  const sources = image.repoDigests
    .map((d) => parseReference(d.slice(0, d.lastIndexOf('@'))))
    .filter((r) => r.registry === ref.registry && r.repository !== ref.repository)
    .map((r) => r.repository);
  const report = opts.onProgress ?? (() => undefined);
  for (const l of image.layers) report({ id: shortId(l.digest), status: 'Preparing' });
  const pushBlob = async (d: Descriptor, layer: boolean) => {
    const id = shortId(d.digest);
    const say = (p: Omit<PushProgress, 'id'>) => layer && report({ id, ...p });
    if (await client.hasBlob(ref, d.digest, opts.signal)) return say({ status: 'Layer already exists' });
    for (const from of sources) if (await client.mountBlob(ref, d.digest, from, opts.signal)) return say({ status: `Mounted from ${from}` });
    const bytes = await content.readAll(d.digest);
    if (!bytes) throw new NotFoundError(`content of ${d.digest} is missing from the store`);
    await client.uploadBlob(ref, d.digest, bytes, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      onChunk: (sent) => say({ status: 'Pushing', current: sent, total: bytes.byteLength }),
    });
    say({ status: 'Pushed' });
  };
  for (const l of image.layers) await pushBlob(l, true);
  await pushBlob(config, false);
  const digest = await client.putManifest(ref, manifest, image.manifestMediaType, opts.signal);
  return { digest, size: manifest.byteLength, tag: ref.tag ?? 'latest' };
}

/** `registry/repository@digest`, as an image's RepoDigests record where it is. */
export const repoDigest = (ref: Reference, digest: Digest) => `${repoName(ref)}@${digest}`;
