// Properties of the layer path: the tar reader on its own, and `docker load` of a whole archive
// into a store over fake-indexeddb (outer tar, manifest.json, config, layer tars, stacking).
import 'fake-indexeddb/auto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { writeTar } from '../../../core/archive/tar-writer.ts';
import {
  DigestMismatchError,
  HostileLayerError,
  InvalidParameterError,
  LayerFormatError,
  ManifestInvalidError,
  NotFoundError,
  UnsupportedMediaTypeError,
} from '../../../core/errors.ts';
import { sha256Of } from '../../../core/oci/digest.ts';
import { ContentStore } from '../../../core/store/content-store.ts';
import { type Db, type EngineDB, openEngineDb } from '../../../core/store/db.ts';
import { SnapshotStore } from '../../../core/store/snapshot-store.ts';
import type { TreeEntry } from '../../../core/store/snapshot-types.ts';
import { ancestors, normalizeEntryPath } from '../../../core/unpack/paths.ts';
import { readTar, type TarHeader } from '../../../core/unpack/tar-reader.ts';
import { EventBus } from '../../../engine/events.ts';
import { ImageService } from '../../../engine/images/image-service.ts';
import { RegistryClient } from '../../../engine/registry/client.ts';
import { RwLock } from '../../../engine/rw-lock.ts';
import { ensure, type FuzzProperty, fuzzProperty, typedOutcome } from './fuzz-property.ts';
import { type ByteMutation, byteMutationArb, type JsonMutation, jsonMutationArb, mutateBytes, mutatedJsonBytes } from './mutations.ts';
import { chunked, chunkSizesArb, type TarSpec, tarBytes, tarSpecArb } from './tar-input.ts';

const TYPES = new Set(['file', 'hardlink', 'symlink', 'char', 'block', 'dir', 'fifo']);

/** What the reader gave: each header and the bytes of its body (when read). */
type Read = { header: TarHeader; body: string | undefined }[];

async function readAll(bytes: Uint8Array, sizes: readonly number[], readBodies: readonly boolean[]): Promise<Read> {
  const out: Read = [];
  for await (const { header, body } of readTar(chunked(bytes, sizes))) {
    let text: string | undefined;
    if (readBodies[out.length % readBodies.length]) {
      const parts: Uint8Array[] = [];
      for await (const p of body) parts.push(p.slice());
      text = Buffer.concat(parts).toString('hex');
    }
    out.push({ header, body: text });
  }
  return out;
}

function checkHeader({ header: h, body }: Read[number]): void {
  const what = JSON.stringify(h.name);
  ensure(TYPES.has(h.type), `${what}: unknown type ${h.type}`);
  ensure(Number.isSafeInteger(h.size) && h.size >= 0, `${what}: size ${h.size}`);
  ensure(h.type === 'file' || h.size === 0, `${what}: a ${h.type} with a body of ${h.size} bytes`);
  ensure(body === undefined || body.length === 2 * h.size, `${what}: body of ${(body?.length ?? 0) / 2} bytes, header says ${h.size}`);
  ensure(Number.isInteger(h.mode) && h.mode >= 0 && h.mode <= 0o7777, `${what}: mode ${h.mode}`);
  for (const [k, v] of [
    ['uid', h.uid],
    ['gid', h.gid],
    ['devMajor', h.devMajor],
    ['devMinor', h.devMinor],
  ] as const) {
    ensure(Number.isSafeInteger(v) && v >= 0, `${what}: ${k} ${v}`);
  }
  ensure(Number.isSafeInteger(h.mtime), `${what}: mtime ${h.mtime}`);
}

const tarReader = fuzzProperty(
  'tar-reader',
  fc.record({ spec: tarSpecArb, sizes: chunkSizesArb, readBodies: fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }) }),
  async ({ spec, sizes, readBodies }) => {
    const bytes = tarBytes(spec);
    const read = await typedOutcome([LayerFormatError], () => readAll(bytes, sizes, readBodies));
    // Where the chunks end must not matter: the same archive in one piece reads the same.
    const whole = await typedOutcome([LayerFormatError], () => readAll(bytes, [Math.max(1, bytes.length)], readBodies));
    ensure((read === undefined) === (whole === undefined), `chunking changed the outcome: ${read ? 'read' : 'refused'} vs ${whole ? 'read' : 'refused'}`);
    if (!read || !whole) return;
    ensure(JSON.stringify(read) === JSON.stringify(whole), 'chunking changed the entries read');
    for (const e of read) checkHeader(e);
  },
  150,
);

interface LoadInput {
  /** The fuzzed layer, stacked on a fixed valid base layer. */
  readonly layer: TarSpec;
  readonly gzip: boolean;
  readonly config: JsonMutation;
  readonly manifest: JsonMutation;
  /** Byte edits to the outer archive. */
  readonly outer: ByteMutation | undefined;
}

const loadInputArb: fc.Arbitrary<LoadInput> = fc.record({
  layer: tarSpecArb,
  gzip: fc.boolean(),
  config: fc.oneof({ weight: 4, arbitrary: fc.constant({ edits: [], bytes: undefined }) }, { weight: 1, arbitrary: jsonMutationArb }),
  manifest: fc.oneof({ weight: 4, arbitrary: fc.constant({ edits: [], bytes: undefined }) }, { weight: 1, arbitrary: jsonMutationArb }),
  outer: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: byteMutationArb }),
});

const enc = new TextEncoder();

/** A valid lower layer whose symlinks and hardlink targets the fuzzed layer can aim at. */
const BASE_LAYER = tarBytes({
  entries: [
    { name: 'etc/', flag: '5', linkName: '', data: new Uint8Array(0), size: undefined, mode: 0o755, uid: 0, mtime: 0, pax: undefined, gnu: undefined },
    {
      name: 'etc/passwd',
      flag: '0',
      linkName: '',
      data: enc.encode('root:x:0:0'),
      size: undefined,
      mode: 0o644,
      uid: 0,
      mtime: 0,
      pax: undefined,
      gnu: undefined,
    },
    { name: 'a', flag: '2', linkName: '/etc', data: new Uint8Array(0), size: undefined, mode: 0o777, uid: 0, mtime: 0, pax: undefined, gnu: undefined },
    { name: 'b', flag: '2', linkName: '../../..', data: new Uint8Array(0), size: undefined, mode: 0o777, uid: 0, mtime: 0, pax: undefined, gnu: undefined },
  ],
  trailer: true,
  bytes: undefined,
  fixChecksums: false,
});

/** A `docker save` archive: manifest.json, the config, and the layers by path. */
async function archive(layers: readonly { blob: Uint8Array; tar: Uint8Array }[], config: JsonMutation, manifest: JsonMutation): Promise<Uint8Array> {
  const diffIds = await Promise.all(layers.map((l) => sha256Of(l.tar)));
  const configDoc = { architecture: '386', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, config: { Env: ['PATH=/bin'], Cmd: ['sh'] } };
  const layerPaths = layers.map((_, i) => `layer${i}.tar`);
  const manifestDoc = [{ Config: 'config.json', RepoTags: ['fuzz:latest'], Layers: layerPaths }];
  return writeTar([
    { name: 'manifest.json', data: mutatedJsonBytes(manifestDoc, manifest) },
    { name: 'config.json', data: mutatedJsonBytes(configDoc, config) },
    ...layers.map((l, i) => ({ name: layerPaths[i]!, data: l.blob })),
  ]);
}

/** The stores a failed load must leave as they were (file data is the GC's, see engine/images/gc.ts). */
const COUNTED = ['blobs', 'blobChunks', 'ingests', 'snapshots', 'images', 'tags'] as const satisfies readonly (keyof EngineDB)[];

async function counts(db: Db): Promise<string> {
  return JSON.stringify(await Promise.all(COUNTED.map(async (s) => [s, await db.count(s)])));
}

/** A merged root filesystem keeps every entry inside it: parents are directories, hardlinks name files of it. */
function checkTree(entries: ReadonlyMap<string, TreeEntry>): void {
  for (const [path, e] of entries) {
    ensure(path === e.path && normalizeEntryPath(path) === path, `entry path ${JSON.stringify(path)} is not normalised`);
    for (const a of ancestors(path)) ensure(entries.get(a)?.type === 'dir', `${path} is below ${a}, which is a ${entries.get(a)?.type ?? 'missing entry'}`);
    if (e.hardlinkTo !== undefined) ensure(entries.get(e.hardlinkTo)?.type === 'file', `hardlink ${path} -> ${e.hardlinkTo} is not to a file`);
  }
}

let dbCount = 0;

const dockerLoad = fuzzProperty(
  'docker-load',
  loadInputArb,
  async (input) => {
    const db = await openEngineDb(`fuzz-load-${process.pid}-${++dbCount}`);
    try {
      const content = new ContentStore(db);
      const snapshots = new SnapshotStore(db);
      const deps = { db, client: new RegistryClient(), content, snapshots, limits: { maxLayerBytes: 1 << 20 } };
      const images = new ImageService(db, deps, content, new EventBus(), new RwLock());
      const none: JsonMutation = { edits: [], bytes: undefined };
      const base = { blob: BASE_LAYER, tar: BASE_LAYER };
      await images.load(await archive([base], none, none));

      const tar = tarBytes(input.layer);
      let bytes = await archive([base, { blob: input.gzip ? gzipSync(tar) : tar, tar }], input.config, input.manifest);
      if (input.outer) bytes = mutateBytes(bytes, input.outer);
      const before = await counts(db);
      const loaded = await typedOutcome(
        [LayerFormatError, HostileLayerError, ManifestInvalidError, UnsupportedMediaTypeError, InvalidParameterError, DigestMismatchError, NotFoundError],
        () => images.load(bytes),
      );
      if (loaded === undefined) {
        ensure((await counts(db)) === before, `a failed load changed the store: ${before} -> ${await counts(db)}`);
        return;
      }
      for (const img of await db.getAll('images')) {
        for (const c of img.chainIds) ensure(await snapshots.has(c), `image ${img.id} lacks snapshot ${c}`);
        checkTree((await snapshots.merged(img.chainIds)).entries);
      }
    } finally {
      db.close();
      await new Promise((done) => {
        const req = indexedDB.deleteDatabase(db.name);
        req.onsuccess = req.onerror = done;
      });
    }
  },
  25,
);

export const tarProperties: readonly FuzzProperty[] = [tarReader, dockerLoad];
