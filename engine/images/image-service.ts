import { blobPath, httpSource, type LayoutSource, tarSource } from '../../core/archive/layout-source.ts';
import { type TarFile, writeTar } from '../../core/archive/tar-writer.ts';
import {
  asEngineError,
  ConflictError,
  DecompressionLimitError,
  DigestMismatchError,
  HostileLayerError,
  InvalidParameterError,
  LayerFormatError,
  NotFoundError,
  QuotaError,
  SizeMismatchError,
  UnsupportedMediaTypeError,
} from '../../core/errors.ts';
import { type Digest, digestHex, shortId } from '../../core/oci/digest.ts';
import type { HistoryEntry } from '../../core/oci/manifest.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import { type Platform, parsePlatform } from '../../core/oci/platform.ts';
import { familiarName, familiarTagged, formatReference, parseReference, type Reference, repoName } from '../../core/oci/reference.ts';
import type { ContentStore } from '../../core/store/content-store.ts';
import type { Db } from '../../core/store/db.ts';
import type { ImageRecord } from '../../core/store/image-types.ts';
import { iterate } from '../../core/unpack/streams.ts';
import type { BuildOptions, BuildResult } from '../build/builder.ts';
import { type CommitOptions, type ImportOptions, importTarball } from '../build/commit.ts';
import type { EventBus } from '../events.ts';
import type { RwLock } from '../rw-lock.ts';
import { collectGarbage, type GcResult } from './gc.ts';
import { type ImportedImage, importImages } from './image-import.ts';
import type { ProgressListener } from './progress.ts';
import { type PullDeps, type PullStats, pullImage } from './pull.ts';
import { type PushProgress, type PushResult, pushImage, repoDigest } from './push.ts';

/** One row of `docker images`: an image under one of its names. */
export interface ImageSummary {
  readonly Id: Digest;
  readonly ParentId: string;
  readonly RepoTags: readonly string[];
  readonly RepoDigests: readonly string[];
  /** Seconds since the epoch. */
  readonly Created: number;
  readonly Size: number;
  readonly Labels: Readonly<Record<string, string>>;
  readonly Platform: Platform;
}

/** `docker image inspect`, in the Engine API's shape. */
export interface ImageInspect {
  readonly Id: Digest;
  readonly RepoTags: readonly string[];
  readonly RepoDigests: readonly string[];
  readonly Created: string;
  readonly Author: string;
  readonly Config: NonNullable<ImageRecord['config']['config']> | null;
  readonly Architecture: string;
  readonly Os: string;
  readonly Variant?: string;
  readonly Size: number;
  readonly RootFS: { readonly Type: 'layers'; readonly Layers: readonly Digest[] };
  readonly Descriptor: { readonly mediaType: string; readonly digest: Digest; readonly size: number };
  readonly Metadata: { readonly LastTagTime: string };
}

export interface HistoryItem {
  readonly Id: string;
  readonly Created: number;
  readonly CreatedBy: string;
  readonly Tags: readonly string[];
  readonly Size: number;
  readonly Comment: string;
}

export interface DeleteItem {
  readonly Untagged?: string;
  readonly Deleted?: string;
}

export interface PullRequest {
  readonly platform?: string | Platform;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

export interface PullOutcome {
  readonly image: ImageSummary;
  readonly digest: Digest;
  /** Docker's last line: whether anything new was stored. */
  readonly status: 'downloaded' | 'up to date';
  readonly stats: PullStats;
}

/** Errors that prove a download's bytes are bad: its partial copy must not be resumed. */
const BAD_CONTENT = [
  DigestMismatchError,
  SizeMismatchError,
  LayerFormatError,
  HostileLayerError,
  DecompressionLimitError,
  UnsupportedMediaTypeError,
  QuotaError,
];

const ID_RE = /^(sha256:)?([a-f0-9]{4,64})$/;

function tagKey(r: Reference): string {
  return `${repoName(r)}:${r.tag}`;
}

function familiarFromKey(key: string): string {
  return familiarTagged(parseReference(key));
}

/** What makes images from more than a registry's or an archive's content: set by the engine, which has the containers they need. */
export interface ImageMakers {
  build(o: BuildOptions): Promise<BuildResult>;
  commit(container: string, o: CommitOptions): Promise<ImageRecord>;
  /** Removes the RUN cache mounts nothing uses; how many. */
  pruneCacheMounts(): Promise<number>;
}

export class ImageService {
  constructor(
    private readonly db: Db,
    private readonly deps: PullDeps,
    private readonly content: ContentStore,
    private readonly events: EventBus,
    private readonly lock: RwLock,
    /** Container count per image ID, from the container service (for rm conflicts). */
    private readonly usage: (imageId: Digest) => Promise<number> = async () => 0,
  ) {}

  async pull(name: string, req: PullRequest = {}): Promise<PullOutcome> {
    const ref = parseReference(name);
    const platform = typeof req.platform === 'string' ? parsePlatform(req.platform) : req.platform;
    const ingesting = new Set<Digest>();
    // The image is recorded before the lock is let go: until then nothing references what the
    // pull wrote, and a sweep (gc, `system check --repair`) would remove it.
    const { result, before, moved } = await this.lock
      .withShared(async () => {
        let result: Awaited<ReturnType<typeof pullImage>>;
        try {
          result = await pullImage(this.deps, ref, { ...(platform ? { platform } : {}), ...pick(req), ingesting });
        } catch (e) {
          throw asEngineError(e);
        }
        const before = await this.db.get('images', result.image.id);
        return { result, before, moved: await this.record(result.image, ref.tag !== undefined ? [ref] : []) };
      })
      .catch(async (e: unknown) => {
        if (BAD_CONTENT.some((k) => e instanceof k)) await this.discardPartial(ingesting);
        throw e;
      });
    this.events.emit('image', 'pull', familiarTagged(ref), { name: familiarTagged(ref) });
    // Docker says "Downloaded newer image" when the name now points somewhere new.
    const status = !before || moved > 0 ? 'downloaded' : 'up to date';
    return { image: await this.summaryOf(result.image.id), digest: result.digest, status, stats: result.stats };
  }

  /**
   * After bad content: drops that pull's partial downloads (resuming them would fetch the same
   * bad bytes) and the file data it wrote, so the store is as it was. Other pulls' partial
   * downloads stay resumable.
   */
  private async discardPartial(ingesting: ReadonlySet<Digest>): Promise<void> {
    for (const d of ingesting) await this.content.discardIngest(d);
    await this.gc();
  }

  /** Writes an image record and moves tags to it, in one transaction; returns how many tags changed. */
  private async record(image: ImageRecord, tags: readonly Reference[]): Promise<number> {
    const tx = this.db.transaction(['images', 'tags'], 'readwrite');
    const images = tx.objectStore('images');
    const existing = await images.get(image.id);
    const repoDigests = [...new Set([...(existing?.repoDigests ?? []), ...image.repoDigests])];
    await images.put({ ...image, repoDigests, createdAt: existing?.createdAt ?? image.createdAt });
    const untagged: string[] = [];
    let changed = 0;
    for (const t of tags) {
      const key = tagKey(t);
      const old = await tx.objectStore('tags').get(key);
      if (old?.image === image.id) continue;
      changed++;
      if (old) untagged.push(old.image);
      await tx.objectStore('tags').put({ name: key, image: image.id });
    }
    await tx.done;
    for (const id of untagged) this.events.emit('image', 'untag', id, {});
    return changed;
  }

  async list(opts: { all?: boolean; danglingOnly?: boolean; reference?: string } = {}): Promise<ImageSummary[]> {
    const images = await this.db.getAll('images');
    const out: ImageSummary[] = [];
    for (const img of images) {
      const s = await this.summaryOf(img.id, img);
      if (img.buildCacheKey && !s.RepoTags.length && !opts.all) continue;
      if (opts.danglingOnly && s.RepoTags.length) continue;
      if (opts.reference) {
        const tags = s.RepoTags.filter((t) => matchesPattern(t, opts.reference!));
        if (tags.length) out.push({ ...s, RepoTags: tags });
        continue;
      }
      out.push(s);
    }
    return out.sort((a, b) => b.Created - a.Created || (a.RepoTags[0] ?? '').localeCompare(b.RepoTags[0] ?? ''));
  }

  private async summaryOf(id: Digest, rec?: ImageRecord): Promise<ImageSummary> {
    const img = rec ?? (await this.db.get('images', id));
    if (!img) throw new NotFoundError(`No such image: ${id}`);
    const tags = (await this.db.getAllFromIndex('tags', 'image', id)).map((t) => familiarFromKey(t.name)).sort();
    return {
      Id: img.id,
      ParentId: '',
      RepoTags: tags,
      RepoDigests: img.repoDigests.map((d) => {
        const at = d.lastIndexOf('@');
        return `${familiarName(parseReference(d.slice(0, at)))}@${d.slice(at + 1)}`;
      }),
      Created: Math.floor(Date.parse(img.config.created ?? '') / 1000) || Math.floor(img.createdAt / 1000),
      Size: img.size,
      Labels: { ...(img.config.config?.Labels ?? {}) },
      Platform: img.platform,
    };
  }

  /** Finds an image by name, tag, digest reference or (a prefix of) its ID, as `docker` does. */
  async resolve(nameOrId: string): Promise<ImageRecord> {
    const s = nameOrId.trim();
    let ref: Reference | undefined;
    try {
      ref = parseReference(s);
    } catch {
      ref = undefined;
    }
    if (ref?.digest) {
      const repo = repoName(ref);
      for (const img of await this.db.getAll('images')) {
        if (img.repoDigests.includes(`${repo}@${ref.digest}`) || img.manifestDigest === ref.digest) return img;
      }
    } else if (ref) {
      const t = await this.db.get('tags', tagKey(ref));
      if (t) {
        const img = await this.db.get('images', t.image);
        if (img) return img;
      }
    }
    const m = ID_RE.exec(s);
    if (m) {
      const hex = m[2]!;
      const hits = (await this.db.getAllKeys('images')).filter((id) => digestHex(id as Digest).startsWith(hex));
      if (hits.length > 1) throw new InvalidParameterError(`ambiguous image ID prefix ${s}`);
      if (hits.length === 1) return (await this.db.get('images', hits[0]!))!;
    }
    throw new NotFoundError(`No such image: ${ref && !ref.digest && !m ? familiarTagged(ref) : s}`);
  }

  async inspect(nameOrId: string): Promise<ImageInspect> {
    const img = await this.resolve(nameOrId);
    const s = await this.summaryOf(img.id, img);
    const manifest = await this.content.get(img.manifestDigest);
    return {
      Id: img.id,
      RepoTags: s.RepoTags,
      RepoDigests: s.RepoDigests,
      Created: img.config.created ?? new Date(img.createdAt).toISOString(),
      Author: img.config.author ?? '',
      Config: img.config.config ?? null,
      Architecture: img.platform.architecture,
      Os: img.platform.os,
      ...(img.platform.variant ? { Variant: img.platform.variant } : {}),
      Size: img.size,
      RootFS: { Type: 'layers', Layers: img.diffIds },
      Descriptor: { mediaType: img.manifestMediaType, digest: img.manifestDigest, size: manifest?.size ?? 0 },
      Metadata: { LastTagTime: new Date(img.createdAt).toISOString() },
    };
  }

  async history(nameOrId: string): Promise<HistoryItem[]> {
    const img = await this.resolve(nameOrId);
    const tags = (await this.summaryOf(img.id, img)).RepoTags;
    const snaps = await Promise.all(img.chainIds.map((c) => this.db.get('snapshots', c)));
    const hist: readonly HistoryEntry[] = img.config.history?.length ? img.config.history : img.diffIds.map(() => ({ created_by: '' }));
    let layer = 0;
    const items = hist.map((h) => {
      const size = h.empty_layer ? 0 : (snaps[layer++]?.size ?? 0);
      return {
        Id: '<missing>',
        Created: Math.floor(Date.parse(h.created ?? '') / 1000) || 0,
        CreatedBy: h.created_by ?? '',
        Tags: [] as string[],
        Size: size,
        Comment: h.comment ?? '',
      };
    });
    items.reverse();
    if (items[0]) items[0] = { ...items[0], Id: img.id, Tags: [...tags] };
    return items;
  }

  async tag(source: string, target: string): Promise<void> {
    const img = await this.resolve(source);
    const ref = parseReference(target);
    if (ref.digest) throw new InvalidParameterError(`refusing to create a tag with a digest reference: ${target}`);
    await this.record(img, [ref]);
    this.events.emit('image', 'tag', img.id, { name: familiarTagged(ref) });
  }

  /** `docker push NAME[:TAG]`: the image under that name, to its registry; its RepoDigests gain the pushed digest. */
  async push(name: string, opts: { onProgress?: (p: PushProgress) => void; signal?: AbortSignal } = {}): Promise<PushResult> {
    const ref = parseReference(name);
    if (ref.digest) throw new InvalidParameterError(`cannot push a digest reference: ${name}`);
    const img = await this.resolve(familiarTagged(ref)).catch((e) => {
      if (e instanceof NotFoundError) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(ref)}`);
      throw e;
    });
    const result = await pushImage({ client: this.deps.client, content: this.content }, img, ref, opts);
    await this.record({ ...img, repoDigests: [repoDigest(ref, result.digest)] }, []);
    this.events.emit('image', 'push', img.id, { name: familiarTagged(ref) });
    return result;
  }

  /** `docker rmi`: untag; delete the image once no name is left (or with force). */
  async remove(nameOrId: string, opts: { force?: boolean } = {}): Promise<DeleteItem[]> {
    const out = await this.untagOrDelete(nameOrId, opts);
    if (out.some((d) => d.Deleted)) await this.gc();
    return out;
  }

  /** `docker rmi` without the garbage collection that frees what the image held. */
  private async untagOrDelete(nameOrId: string, opts: { force?: boolean }): Promise<DeleteItem[]> {
    const img = await this.resolve(nameOrId);
    const tagRecs = await this.db.getAllFromIndex('tags', 'image', img.id);
    let byTag: Reference | undefined;
    try {
      const r = parseReference(nameOrId);
      if (!r.digest && tagRecs.some((t) => t.name === tagKey(r))) byTag = r;
    } catch {
      byTag = undefined;
    }
    const out: DeleteItem[] = [];
    if (byTag && tagRecs.length > 1) {
      await this.db.delete('tags', tagKey(byTag));
      out.push({ Untagged: familiarTagged(byTag) });
      this.events.emit('image', 'untag', img.id, { name: familiarTagged(byTag) });
      return out;
    }
    if (!byTag && tagRecs.length > 1 && !opts.force) {
      throw new ConflictError(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`);
    }
    const users = await this.usage(img.id);
    if (users > 0 && !opts.force) {
      throw new ConflictError(
        `conflict: unable to remove repository reference "${nameOrId}" (must force) - container is using its referenced image ${shortId(img.id)}`,
      );
    }
    const tx = this.db.transaction(['images', 'tags'], 'readwrite');
    for (const t of tagRecs) void tx.objectStore('tags').delete(t.name);
    void tx.objectStore('images').delete(img.id);
    await tx.done;
    for (const t of tagRecs) {
      out.push({ Untagged: familiarFromKey(t.name) });
      this.events.emit('image', 'untag', img.id, { name: familiarFromKey(t.name) });
    }
    for (const d of img.repoDigests) {
      const at = d.lastIndexOf('@');
      out.push({ Untagged: `${familiarName(parseReference(d.slice(0, at)))}@${d.slice(at + 1)}` });
    }
    out.push({ Deleted: img.id });
    this.events.emit('image', 'delete', img.id, {});
    return out;
  }

  /** `docker image prune`: dangling images (or all unused with `all`), then garbage. */
  async prune(opts: { all?: boolean } = {}): Promise<{ ImagesDeleted: DeleteItem[]; SpaceReclaimed: number }> {
    const deleted: DeleteItem[] = [];
    for (const s of await this.list()) {
      if (s.RepoTags.length && !opts.all) continue;
      if ((await this.usage(s.Id)) > 0) continue;
      deleted.push(...(await this.untagOrDelete(s.Id, { force: true })));
    }
    const g = await this.gc({ ingests: true });
    return { ImagesDeleted: deleted, SpaceReclaimed: g.bytes };
  }

  gc(opts: { ingests?: boolean } = {}): Promise<GcResult> {
    return this.lock.withExclusive(() => collectGarbage(this.db, opts));
  }

  /**
   * Stores an image `docker build` assembled (an OCI layout in memory: index, manifest, config and
   * its new layers): unpacked and checked exactly as a load, recorded as the build step `cacheKey`.
   */
  async importBuilt(layout: ReadonlyMap<string, Uint8Array>, cacheKey?: string, signal?: AbortSignal): Promise<ImageRecord> {
    const src: LayoutSource = {
      describe: 'the build',
      file: async (p) => layout.get(p),
      stream: async function* (p) {
        const f = layout.get(p);
        if (!f) throw new NotFoundError(`the build has no ${p}`);
        yield f;
      },
    };
    const stats: PullStats = { fetchedBytes: 0, resumedBytes: 0, layersAlreadyPresent: 0 };
    const image = await this.lock.withShared(async () => {
      const [built] = await importImages(this.deps, src, { stats, ...(signal ? { signal } : {}) });
      const image: ImageRecord = { ...built!.image, ...(cacheKey ? { buildCacheKey: cacheKey } : {}) };
      await this.record(image, []);
      return image;
    });
    return (await this.db.get('images', image.id)) ?? image;
  }

  /** `docker build` (engine/build): set by the engine, which has the containers a RUN needs. */
  private makers?: ImageMakers;

  useMakers(makers: ImageMakers): void {
    this.makers = makers;
  }

  private maker(): ImageMakers {
    if (!this.makers) throw new InvalidParameterError('this engine has no builder');
    return this.makers;
  }

  /** `docker build`: a Dockerfile and its context into an image (see engine/build/builder.ts). */
  async build(o: BuildOptions): Promise<BuildResult> {
    return this.maker().build(o);
  }

  /** `docker commit`: a container's writable layer as a layer on its image. */
  async commit(container: string, o: CommitOptions = {}): Promise<ImageRecord> {
    return this.maker().commit(container, o);
  }

  /** `docker image import`: a root filesystem tar as a one-layer image. */
  importTarball(tar: Uint8Array, o: ImportOptions = {}): Promise<ImageRecord> {
    return importTarball(this, tar, o);
  }

  /** The image a build step with this cache key made before, if it is still stored. */
  async buildCacheHit(cacheKey: string): Promise<ImageRecord | undefined> {
    return (await this.db.getAll('images')).find((i) => i.buildCacheKey === cacheKey);
  }

  /** `docker builder prune`: the build cache's images that no tag or container holds. */
  async pruneBuildCache(): Promise<{ removed: number; SpaceReclaimed: number }> {
    let removed = 0;
    for (const img of await this.db.getAll('images')) {
      if (!img.buildCacheKey) continue;
      const tagged = (await this.db.getAllFromIndex('tags', 'image', img.id)).length > 0;
      if (tagged || (await this.usage(img.id)) > 0) {
        // A built image that is kept stops being cache: a prune empties the cache.
        const { buildCacheKey: _cache, ...kept } = img;
        await this.db.put('images', kept);
        continue;
      }
      await this.untagOrDelete(img.id, { force: true });
      removed++;
    }
    removed += (await this.makers?.pruneCacheMounts()) ?? 0;
    const g = await this.gc({ ingests: true });
    return { removed, SpaceReclaimed: g.bytes };
  }

  /** `docker save`: one tarball that is both an OCI image layout and a `docker load`-able archive. */
  async save(names: readonly string[]): Promise<Uint8Array> {
    if (names.length === 0) throw new InvalidParameterError('docker save requires at least one image');
    const files = new Map<string, Uint8Array>();
    const index: { mediaType: string; digest: Digest; size: number; annotations?: Record<string, string> }[] = [];
    const dockerManifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
    for (const name of names) {
      const img = await this.resolve(name);
      const tags = (await this.db.getAllFromIndex('tags', 'image', img.id)).map((t) => familiarFromKey(t.name));
      const repoTags = savedTags(name, tags);
      for (const d of [img.manifestDigest, img.id, ...img.layers.map((l) => l.digest)]) {
        const bytes = await this.content.readAll(d);
        if (!bytes) throw new NotFoundError(`content of ${d} is missing from the store`);
        files.set(blobPath(d), bytes);
      }
      const manifestSize = files.get(blobPath(img.manifestDigest))!.byteLength;
      for (const t of repoTags.length ? repoTags : [undefined]) {
        index.push({
          mediaType: img.manifestMediaType,
          digest: img.manifestDigest,
          size: manifestSize,
          ...(t ? { annotations: { 'io.containerd.image.name': formatReference(parseReference(t)), [REF_NAME_KEY]: parseReference(t).tag ?? 'latest' } } : {}),
        });
      }
      dockerManifest.push({ Config: blobPath(img.id), RepoTags: repoTags, Layers: img.layers.map((l) => blobPath(l.digest)) });
    }
    const enc = new TextEncoder();
    const list: TarFile[] = [
      { name: 'oci-layout', data: enc.encode(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
      { name: 'index.json', data: enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: index })) },
      { name: 'manifest.json', data: enc.encode(JSON.stringify(dockerManifest)) },
      ...[...files].map(([name, data]) => ({ name, data })),
    ];
    return writeTar(list);
  }

  /** `docker load`: a `docker save` tarball or an OCI image layout tarball. */
  async load(archive: Uint8Array | Blob | ReadableStream<Uint8Array>, req: PullRequest = {}): Promise<string[]> {
    const stream = archive instanceof Uint8Array ? once(archive) : iterate(archive instanceof Blob ? archive.stream() : archive);
    return this.importFrom(await tarSource(stream), req);
  }

  /** Loads images from an OCI image layout served over HTTP (a static site, an offline demo). */
  async loadLayout(url: string, req: PullRequest = {}): Promise<string[]> {
    return this.importFrom(httpSource(url), req);
  }

  private async importFrom(src: LayoutSource, req: PullRequest): Promise<string[]> {
    const platform = typeof req.platform === 'string' ? parsePlatform(req.platform) : req.platform;
    const stats: PullStats = { fetchedBytes: 0, resumedBytes: 0, layersAlreadyPresent: 0 };
    let imported: ImportedImage[];
    const ingesting = new Set<Digest>();
    try {
      imported = await this.lock.withShared(async () => {
        const imported = await importImages(this.deps, src, { ...(platform ? { platform } : {}), ...pick(req), stats, ingesting });
        for (const { image, tags } of imported) await this.record(image, tags);
        return imported;
      });
    } catch (e) {
      const err = asEngineError(e);
      if (BAD_CONTENT.some((k) => err instanceof k)) await this.discardPartial(ingesting);
      throw err;
    }
    const lines: string[] = [];
    for (const { image, tags } of imported) {
      this.events.emit('image', 'load', image.id, {});
      if (tags.length) for (const t of tags) lines.push(`Loaded image: ${familiarTagged(t)}`);
      else lines.push(`Loaded image ID: ${image.id}`);
    }
    return lines;
  }
}

const REF_NAME_KEY = 'org.opencontainers.image.ref.name';

/** Saving by tag names that tag only; by ID or digest, every tag the image has (as docker save). */
function savedTags(name: string, tags: readonly string[]): string[] {
  try {
    const r = parseReference(name);
    const t = familiarTagged(r);
    if (!r.digest && tags.includes(t)) return [t];
  } catch {
    /* an image ID */
  }
  return [...tags];
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

function pick(req: PullRequest): { onProgress?: ProgressListener; signal?: AbortSignal } {
  return { ...(req.onProgress ? { onProgress: req.onProgress } : {}), ...(req.signal ? { signal: req.signal } : {}) };
}

/** `docker images --filter reference=…` / `docker images NAME`: glob on the familiar name[:tag]. */
function matchesPattern(tagged: string, pattern: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '.')}$`,
  );
  if (re.test(tagged)) return true;
  const name = tagged.slice(0, tagged.lastIndexOf(':'));
  return re.test(name);
}
