import type { Db } from '../../core/store/db.ts';

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

  // One transaction from reading what is live to deleting what is not: a container's flush
  // (fsEntries record + file data, one transaction of its own) cannot fall in between.
  const tx = db.transaction(['snapshots', 'fsEntries', 'files', 'fileData'], 'readwrite');
  const liveFiles = new Set<string>();
  for (const e of await tx.objectStore('fsEntries').getAll()) if (e.sha) liveFiles.add(e.sha);
  const snapshots = tx.objectStore('snapshots');
  for (const key of await snapshots.getAllKeys()) {
    if (!liveSnaps.has(key)) {
      void snapshots.delete(key);
      result.snapshots++;
      continue;
    }
    const s = await snapshots.get(key);
    for (const e of s?.entries ?? []) if (e.sha) liveFiles.add(e.sha);
  }
  const liveData = new Set<string>();
  const files = tx.objectStore('files');
  for (const f of await files.getAll()) {
    if (liveFiles.has(f.sha)) {
      liveData.add('pack' in f.loc ? f.loc.pack : f.loc.chunks);
    } else {
      void files.delete(f.sha);
      result.files++;
      result.bytes += f.size;
    }
  }
  // Data records: packs are keyed `p:<id>`, large-file chunks `c:<id>:<n>`.
  const fileData = tx.objectStore('fileData');
  for (const k of await fileData.getAllKeys()) {
    if (!liveData.has(k.startsWith('c:') ? k.slice(0, k.lastIndexOf(':')) : k)) void fileData.delete(k);
  }
  await tx.done;
  return result;
}
