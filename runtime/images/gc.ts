import type { Db } from '../store/db.ts';

export interface GcResult {
  blobs: number;
  snapshots: number;
  files: number;
  /** Bytes of blob and file data freed. */
  bytes: number;
}

/**
 * Mark and sweep: images keep their manifests, configs, layer blobs and snapshots; snapshots,
 * containers' writable layers and volumes keep file contents. Everything else goes, including file data left behind by a pull that
 * failed. Ingests (interrupted downloads) are kept for resuming unless `ingests` is set.
 * Callers must make sure no pull is running (it would own unreferenced data).
 */
export async function collectGarbage(db: Db, opts: { ingests?: boolean } = {}): Promise<GcResult> {
  const result: GcResult = { blobs: 0, snapshots: 0, files: 0, bytes: 0 };
  const images = await db.getAll('images');
  const liveBlobs = new Set<string>();
  const liveSnaps = new Set<string>();
  for (const img of images) {
    liveBlobs.add(img.id);
    liveBlobs.add(img.manifestDigest);
    for (const rd of img.repoDigests) liveBlobs.add(rd.slice(rd.lastIndexOf('@') + 1));
    for (const l of img.layers) liveBlobs.add(l.digest);
    for (const c of img.chainIds) liveSnaps.add(c);
  }

  for (const b of await db.getAll('blobs')) {
    if (liveBlobs.has(b.digest)) continue;
    const tx = db.transaction(['blobs', 'blobChunks'], 'readwrite');
    void tx.objectStore('blobs').delete(b.digest);
    void tx.objectStore('blobChunks').delete(IDBKeyRange.bound([b.digest, 0], [b.digest, Infinity]));
    await tx.done;
    result.blobs++;
    result.bytes += b.size;
  }
  if (opts.ingests) {
    for (const i of await db.getAll('ingests')) {
      const tx = db.transaction(['ingests', 'blobChunks'], 'readwrite');
      void tx.objectStore('ingests').delete(i.digest);
      void tx.objectStore('blobChunks').delete(IDBKeyRange.bound([i.digest, 0], [i.digest, Infinity]));
      await tx.done;
    }
  }

  const liveFiles = new Set<string>();
  // Containers' writable layers and volumes keep their file contents too.
  for (const e of await db.getAll('fsEntries')) if (e.sha) liveFiles.add(e.sha);
  for (const key of await db.getAllKeys('snapshots')) {
    if (!liveSnaps.has(key)) {
      await db.delete('snapshots', key);
      result.snapshots++;
      continue;
    }
    const s = await db.get('snapshots', key);
    for (const e of s?.entries ?? []) if (e.sha) liveFiles.add(e.sha);
  }

  const liveData = new Set<string>();
  const deadFiles: string[] = [];
  for (const f of await db.getAll('files')) {
    if (liveFiles.has(f.sha)) {
      liveData.add('pack' in f.loc ? f.loc.pack : f.loc.chunks);
    } else {
      deadFiles.push(f.sha);
      result.bytes += f.size;
    }
  }
  if (deadFiles.length) {
    const tx = db.transaction('files', 'readwrite');
    for (const sha of deadFiles) void tx.store.delete(sha);
    await tx.done;
    result.files = deadFiles.length;
  }
  // Data records: packs are keyed `p:<id>`, large-file chunks `c:<id>:<n>`.
  const dataKeys = await db.getAllKeys('fileData');
  const dead = dataKeys.filter((k) => !liveData.has(k.startsWith('c:') ? k.slice(0, k.lastIndexOf(':')) : k));
  if (dead.length) {
    const tx = db.transaction('fileData', 'readwrite');
    for (const k of dead) void tx.store.delete(k);
    await tx.done;
  }
  return result;
}

