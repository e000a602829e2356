// `docker system check`: the store's fsck. It walks every record that points at other records
// (images → blobs and snapshots, tags → images, snapshots → parents and files, files → their
// data, containers → images and volumes, fsEntries scopes → their container or volume) and
// reports what points at nothing (`missing`) and what nothing points at (`dangling`).
import type { IDBPTransaction, StoreNames } from 'idb';
import { familiarTagged, parseReference } from '../oci/reference.ts';
import type { Db, EngineDB, FileRecord } from './db.ts';
import type { LayerEntry } from './snapshot-types.ts';

export type ProblemKind = 'missing' | 'dangling';

export interface StoreProblem {
  readonly kind: ProblemKind;
  /** The object store the problem is in, and the keys of the records (or data) concerned. */
  readonly store: string;
  readonly keys: readonly string[];
  /** The object in words: `image sha256:0123456789ab… (busybox:latest)`. */
  readonly object: string;
  /** What is wrong: `layer snapshot sha256:… is missing`. */
  readonly message: string;
  /** What `repair` does about it; absent for what it leaves alone (it would lose or hide users' data). */
  readonly repair?: string;
  /** This run repaired it. */
  readonly repaired: boolean;
}

export interface StoreCheckReport {
  /** How many of each were checked (before any repair). */
  readonly checked: { images: number; tags: number; snapshots: number; files: number; blobs: number; containers: number; volumes: number };
  /** Everything found; with `repair`, also what turned up once other problems were repaired. */
  readonly problems: readonly StoreProblem[];
  /** How many problems are left in the store at the end. */
  readonly remaining: number;
}

const STORES = [
  'blobs',
  'blobChunks',
  'ingests',
  'files',
  'fileData',
  'snapshots',
  'images',
  'tags',
  'containers',
  'fsEntries',
  'fsIndex',
  'volumes',
  'logs',
] as const satisfies readonly StoreNames<EngineDB>[];

interface Deletion {
  readonly store: (typeof STORES)[number];
  /** Every key deleted here is a string or a range. */
  readonly key: string | IDBKeyRange;
}

interface Finding extends Omit<StoreProblem, 'repaired'> {
  readonly deletes: readonly Deletion[];
}

/** Enough of a passes' limit for every cascade: image → snapshots → files → file data. */
const MAX_PASSES = 8;

/**
 * Checks the store; with `repair`, removes what nothing references and the records that point
 * at data that is gone (see each finding's `repair`), again until nothing more can be repaired.
 * All in one transaction, so a container's writes (which take no engine lock) never see half a
 * repair nor fall between what was read and what is deleted. The caller keeps pulls and garbage
 * collection out (the engine's storage lock): they own data nothing references yet.
 */
export async function checkStore(db: Db, opts: { repair?: boolean } = {}): Promise<StoreCheckReport> {
  const tx = db.transaction(STORES, opts.repair ? 'readwrite' : 'readonly');
  // By store, keys and message: a problem left alone turns up again in each pass.
  const found = new Map<string, StoreProblem>();
  let walk = await walkStore(tx);
  const checked = walk.checked;
  for (let pass = 1; ; pass++) {
    const repairing = opts.repair === true && pass < MAX_PASSES;
    const fixable = repairing ? walk.findings.filter((f) => f.deletes.length > 0) : [];
    for (const { deletes, ...f } of walk.findings) {
      found.set(`${f.store}\0${f.keys.join('\0')}\0${f.message}`, { ...f, repaired: repairing && deletes.length > 0 });
    }
    if (fixable.length === 0) break;
    const writable = tx as IDBPTransaction<EngineDB, typeof STORES, 'readwrite'>;
    await Promise.all(fixable.flatMap((f) => f.deletes.map((d) => writable.objectStore(d.store).delete(d.key))));
    walk = await walkStore(tx);
  }
  await tx.done;
  return { checked, problems: [...found.values()], remaining: walk.findings.length };
}

type Tx = IDBPTransaction<EngineDB, typeof STORES, IDBTransactionMode>;

const brief = (d: string): string => `${d.startsWith('sha256:') ? 'sha256:' : ''}${d.replace(/^sha256:/, '').slice(0, 12)}…`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
/** All keys [id, n] of one blob's chunks or one container's logs. */
const keyRange = (id: string) => IDBKeyRange.bound([id, 0], [id, Infinity]);
const scopeRange = (scope: string) => IDBKeyRange.bound([scope, ''], [scope, '\uffff']);
/** `p:<id>` packs hold many files; `c:<id>:<n>` are one large file's chunks. */
const dataId = (key: string) => (key.startsWith('c:') ? key.slice(0, key.lastIndexOf(':')) : key);

function familiar(tag: string): string {
  // A tag record written by hand (or by older code) may not parse: show it as stored.
  try {
    return familiarTagged(parseReference(tag));
  } catch {
    return tag;
  }
}

/** `object` for keys of one kind: the one by name, or how many. */
function several(what: string, keys: readonly string[]): string {
  return keys.length === 1 ? `${what} ${brief(keys[0]!)}` : `${keys.length} ${what}s`;
}

function missingFiles(entries: readonly LayerEntry[], files: ReadonlyMap<string, FileRecord>, broken: ReadonlySet<string>): string | undefined {
  const lost = entries.filter((e) => e.sha !== undefined && (!files.has(e.sha) || broken.has(e.sha)));
  if (lost.length === 0) return undefined;
  return `the contents of ${plural(lost.length, 'file')} are missing (${lost[0]!.path}${lost.length > 1 ? ', …' : ''})`;
}

/** One pass over the whole store: what is wrong, and what deleting would repair it. */
async function walkStore(tx: Tx): Promise<{ checked: StoreCheckReport['checked']; findings: Finding[] }> {
  const [images, tags, blobs, chunkKeys, ingests, files, dataKeys, snapshots, containers, volumes, entries, indexKeys, logKeys] = await Promise.all([
    tx.objectStore('images').getAll(),
    tx.objectStore('tags').getAll(),
    tx.objectStore('blobs').getAll(),
    tx.objectStore('blobChunks').getAllKeys(),
    tx.objectStore('ingests').getAll(),
    tx.objectStore('files').getAll(),
    tx.objectStore('fileData').getAllKeys(),
    tx.objectStore('snapshots').getAll(),
    tx.objectStore('containers').getAll(),
    tx.objectStore('volumes').getAll(),
    tx.objectStore('fsEntries').getAll(),
    tx.objectStore('fsIndex').getAllKeys(),
    tx.objectStore('logs').getAllKeys(),
  ]);
  const findings: Finding[] = [];
  const add = (f: Omit<Finding, 'deletes'> & { deletes?: readonly Deletion[] }) => findings.push({ deletes: [], ...f });

  // ---- blobs, their chunks, ingests
  const chunksOf = new Map<string, number[]>();
  for (const [digest, n] of chunkKeys) (chunksOf.get(digest) ?? chunksOf.set(digest, []).get(digest)!).push(n);
  const liveBlobs = new Set<string>();
  for (const img of images) {
    liveBlobs.add(img.id).add(img.manifestDigest);
    for (const rd of img.repoDigests) liveBlobs.add(rd.slice(rd.lastIndexOf('@') + 1));
    for (const l of img.layers) liveBlobs.add(l.digest);
  }
  const goodBlobs = new Set<string>();
  const blobDeletes = (d: string): Deletion[] => [
    { store: 'blobs', key: d },
    { store: 'blobChunks', key: keyRange(d) },
  ];
  for (const b of blobs) {
    const have = (chunksOf.get(b.digest) ?? []).filter((n) => n < b.chunks).length;
    const object = `blob ${brief(b.digest)}`;
    if (!liveBlobs.has(b.digest)) {
      add({
        kind: 'dangling',
        store: 'blobs',
        keys: [b.digest],
        object,
        message: 'no image references it',
        repair: 'remove the blob',
        deletes: blobDeletes(b.digest),
      });
    } else if (have < b.chunks) {
      const message = `${plural(b.chunks - have, 'chunk')} of ${b.chunks} are missing`;
      add({
        kind: 'missing',
        store: 'blobs',
        keys: [b.digest],
        object,
        message,
        repair: 'remove the blob (a pull fetches it again)',
        deletes: blobDeletes(b.digest),
      });
    } else {
      goodBlobs.add(b.digest);
    }
  }
  for (const i of ingests) {
    add({
      kind: 'dangling',
      store: 'ingests',
      keys: [i.digest],
      object: `download ${brief(i.digest)}`,
      message: `left by an interrupted pull (${plural(i.chunks, 'chunk')})`,
      repair: 'remove the partial download',
      deletes: [
        { store: 'ingests', key: i.digest },
        { store: 'blobChunks', key: keyRange(i.digest) },
      ],
    });
  }
  const owned = new Set<string>([...blobs.map((b) => b.digest), ...ingests.map((i) => i.digest)]);
  const strayChunks = [...chunksOf.keys()].filter((d) => !owned.has(d));
  if (strayChunks.length > 0) {
    add({
      kind: 'dangling',
      store: 'blobChunks',
      keys: strayChunks,
      object: strayChunks.length === 1 ? `chunks of blob ${brief(strayChunks[0]!)}` : `chunks of ${strayChunks.length} blobs`,
      message: 'no blob or download owns them',
      repair: 'remove the chunks',
      deletes: strayChunks.map((d) => ({ store: 'blobChunks', key: keyRange(d) })),
    });
  }

  // ---- file contents
  const fileMap = new Map(files.map((f) => [f.sha, f]));
  const dataSet = new Set(dataKeys);
  const referenced = new Set<string>();
  for (const s of snapshots) for (const e of s.entries) if (e.sha) referenced.add(e.sha);
  for (const e of entries) if (e.sha) referenced.add(e.sha);
  const broken = new Set<string>();
  const lostData = new Map<string, string[]>();
  const liveData = new Set<string>();
  const unreferenced: string[] = [];
  for (const f of files) {
    const id = 'pack' in f.loc ? f.loc.pack : f.loc.chunks;
    const loc = f.loc;
    const whole = 'pack' in loc ? dataSet.has(loc.pack) : Array.from({ length: loc.count }, (_, i) => `${loc.chunks}:${i}`).every((k) => dataSet.has(k));
    if (!referenced.has(f.sha)) unreferenced.push(f.sha);
    else if (!whole) {
      broken.add(f.sha);
      (lostData.get(id) ?? lostData.set(id, []).get(id)!).push(f.sha);
    }
    // Even when partly gone: what is left goes once the record does.
    liveData.add(id);
  }
  if (unreferenced.length > 0) {
    add({
      kind: 'dangling',
      store: 'files',
      keys: unreferenced,
      object: several('file record', unreferenced),
      message: unreferenced.length === 1 ? 'no layer, container or volume references it' : 'no layer, container or volume references them',
      repair: 'remove the file records',
      deletes: unreferenced.map((sha) => ({ store: 'files', key: sha })),
    });
  }
  for (const [id, shas] of lostData) {
    add({
      kind: 'missing',
      store: 'files',
      keys: shas,
      object: several('file record', shas),
      message: `${shas.length === 1 ? 'its' : 'their'} data ${id} is missing`,
      // With the record gone, the same contents written again (a pull, a container) are stored anew.
      repair: 'remove the file records',
      deletes: shas.map((sha) => ({ store: 'files', key: sha })),
    });
  }
  const strayData = dataKeys.filter((k) => !liveData.has(dataId(k)));
  if (strayData.length > 0) {
    const ids = [...new Set(strayData.map(dataId))];
    add({
      kind: 'dangling',
      store: 'fileData',
      keys: strayData,
      object: ids.length === 1 ? `file data ${ids[0]}` : `${ids.length} file data records`,
      message: 'no file record references it',
      repair: 'remove the data',
      deletes: strayData.map((k) => ({ store: 'fileData', key: k })),
    });
  }

  // ---- snapshots
  const snapMap = new Map(snapshots.map((s) => [s.chainId, s]));
  const liveSnaps = new Set(images.flatMap((i) => i.chainIds));
  const badSnaps = new Set<string>();
  for (const s of snapshots) {
    const object = `snapshot ${brief(s.chainId)}`;
    if (!liveSnaps.has(s.chainId)) {
      add({
        kind: 'dangling',
        store: 'snapshots',
        keys: [s.chainId],
        object,
        message: 'no image references it',
        repair: 'remove the snapshot',
        deletes: [{ store: 'snapshots', key: s.chainId }],
      });
      continue;
    }
    const lost = missingFiles(s.entries, fileMap, broken);
    if (lost) add({ kind: 'missing', store: 'snapshots', keys: [s.chainId], object, message: lost });
    if (s.parent && !snapMap.has(s.parent))
      add({ kind: 'missing', store: 'snapshots', keys: [s.chainId], object, message: `parent snapshot ${brief(s.parent)} is missing` });
    if (lost) badSnaps.add(s.chainId);
  }

  // ---- images and tags
  const imageIds = new Set(images.map((i) => i.id));
  const tagsOf = new Map<string, string[]>();
  for (const t of tags) {
    if (imageIds.has(t.image)) (tagsOf.get(t.image) ?? tagsOf.set(t.image, []).get(t.image)!).push(familiar(t.name));
    else {
      const object = `tag ${familiar(t.name)}`;
      add({
        kind: 'missing',
        store: 'tags',
        keys: [t.name],
        object,
        message: `image ${brief(t.image)} is missing`,
        repair: 'remove the tag',
        deletes: [{ store: 'tags', key: t.name }],
      });
    }
  }
  for (const img of images) {
    const names = tagsOf.get(img.id) ?? [];
    const object = `image ${brief(img.id)}${names.length ? ` (${names.join(', ')})` : ''}`;
    const blobsLost = [
      ...(goodBlobs.has(img.id) ? [] : [`config blob ${brief(img.id)} is missing`]),
      ...(goodBlobs.has(img.manifestDigest) ? [] : [`manifest blob ${brief(img.manifestDigest)} is missing`]),
    ];
    // The image still runs without them (its record holds its config); a pull stores them again.
    if (blobsLost.length) add({ kind: 'missing', store: 'images', keys: [img.id], object, message: blobsLost.join('; ') });
    const layersLost = img.chainIds.flatMap((c, i) =>
      !snapMap.has(c)
        ? [`layer ${i + 1} snapshot ${brief(c)} is missing`]
        : badSnaps.has(c)
          ? [`layer ${i + 1} snapshot ${brief(c)} has lost file contents`]
          : [],
    );
    if (layersLost.length) {
      add({
        kind: 'missing',
        store: 'images',
        keys: [img.id],
        object,
        message: layersLost.join('; '),
        // It cannot run. Gone with its broken layers, a pull or load of it unpacks them afresh,
        // under the same ID, so containers of it work again.
        repair: 'remove the image and its broken layers (pull or load it again)',
        deletes: [
          { store: 'images', key: img.id },
          ...tags.filter((t) => t.image === img.id).map((t): Deletion => ({ store: 'tags', key: t.name })),
          ...img.chainIds.filter((c) => badSnaps.has(c)).map((c): Deletion => ({ store: 'snapshots', key: c })),
        ],
      });
    }
  }

  // ---- containers, volumes, their scopes, logs
  const containerIds = new Set(containers.map((c) => c.Id));
  const volumeNames = new Set(volumes.map((v) => v.Name));
  const scopes = new Map<string, LayerEntry[]>();
  for (const e of entries) (scopes.get(e.scope) ?? scopes.set(e.scope, []).get(e.scope)!).push(e);
  const containerObject = (c: { Id: string; Name: string }) => `container ${c.Id.slice(0, 12)} (${c.Name.replace(/^\//, '')})`;
  const containerById = new Map(containers.map((c) => [c.Id, c]));
  const owner = (scope: string) => {
    const c = scope.startsWith('c:') ? containerById.get(scope.slice(2)) : undefined;
    if (c) return containerObject(c);
    return scope.startsWith('v:') && volumeNames.has(scope.slice(2)) ? `volume ${scope.slice(2)}` : undefined;
  };
  // Users' files: reported, never removed.
  for (const c of containers) {
    const object = containerObject(c);
    if (!imageIds.has(c.Image)) add({ kind: 'missing', store: 'containers', keys: [c.Id], object, message: `image ${brief(c.Image)} is missing` });
    for (const m of c.Mounts) {
      if (m.Type === 'volume' && !volumeNames.has(m.Name))
        add({ kind: 'missing', store: 'containers', keys: [c.Id], object, message: `volume ${m.Name} is missing` });
    }
  }
  for (const [scope, list] of scopes) {
    const who = owner(scope);
    const lost = who && missingFiles(list, fileMap, broken);
    if (lost) add({ kind: 'missing', store: 'fsEntries', keys: [scope], object: who, message: lost });
  }
  for (const scope of new Set([...scopes.keys(), ...indexKeys])) {
    if (owner(scope)) continue;
    add({
      kind: 'dangling',
      store: 'fsEntries',
      keys: [scope],
      object: `${scope.startsWith('v:') ? 'volume' : 'writable layer'} ${scope}`,
      message: `no ${scope.startsWith('v:') ? 'volume' : 'container'} owns it (${plural(scopes.get(scope)?.length ?? 0, 'entry', 'entries')})`,
      repair: 'remove its entries',
      deletes: [
        { store: 'fsEntries', key: scopeRange(scope) },
        { store: 'fsIndex', key: scope },
      ],
    });
  }
  const logOwners = [...new Set(logKeys.map(([id]) => id))].filter((id) => !containerIds.has(id));
  for (const id of logOwners) {
    add({
      kind: 'dangling',
      store: 'logs',
      keys: [id],
      object: `logs of ${id.slice(0, 12)}`,
      message: 'no container owns them',
      repair: 'remove the logs',
      deletes: [{ store: 'logs', key: keyRange(id) }],
    });
  }

  const checked = {
    images: images.length,
    tags: tags.length,
    snapshots: snapshots.length,
    files: files.length,
    blobs: blobs.length,
    containers: containers.length,
    volumes: volumes.length,
  };
  return { checked, findings };
}
