// The snapshot store (core/store/snapshot-store.ts) over fake-indexeddb: unpacked layers keyed by
// ChainID, and the merged root filesystem of a stack with the OCI layer rules (whiteouts, opaque
// directories, hardlinks), plus the garbage collector's treatment of snapshots and blobs.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HostileLayerError } from '../../../core/errors.ts';
import { chainIds, type Digest, sha256Of } from '../../../core/oci/digest.ts';
import { ContentStore } from '../../../core/store/content-store.ts';
import { type Db, openEngineDb } from '../../../core/store/db.ts';
import type { ImageRecord } from '../../../core/store/image-types.ts';
import { SnapshotStore } from '../../../core/store/snapshot-store.ts';
import type { LayerEntry, SnapshotRecord } from '../../../core/store/snapshot-types.ts';
import { collectGarbage } from '../../../engine/images/gc.ts';

const dir = (path: string): LayerEntry => ({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1 });
const file = (path: string, sha = path.replace(/\W/g, '').padEnd(8, '0'), size = 4): LayerEntry => ({
  path,
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  mtime: 1,
  size,
  sha,
});
const symlink = (path: string, linkTarget: string): LayerEntry => ({ path, type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 1, linkTarget });
const hardlink = (path: string, linkTarget: string): LayerEntry => ({ path, type: 'hardlink', mode: 0o644, uid: 0, gid: 0, mtime: 1, linkTarget });
const whiteout = (path: string): LayerEntry => ({ path, type: 'whiteout', mode: 0, uid: 0, gid: 0, mtime: 0 });
const opaque = (path: string): LayerEntry => ({ path, type: 'opaque', mode: 0, uid: 0, gid: 0, mtime: 0 });

let db: Db;
let snapshots: SnapshotStore;
let dbCount = 0;

/**
 * Stores a stack of layers as an unpack does: each snapshot keyed by its ChainID with its parent's
 * ChainID; the DiffIDs stand in for the layers' uncompressed digests. Returns the ChainIDs.
 */
async function storeStack(name: string, layers: readonly (readonly LayerEntry[])[]): Promise<Digest[]> {
  const diffIds = await Promise.all(layers.map((_, i) => sha256Of(`${name} layer ${i}`)));
  const chain = await chainIds(diffIds);
  for (let i = 0; i < layers.length; i++) {
    const entries = layers[i]!;
    const rec: SnapshotRecord = {
      chainId: chain[i]!,
      diffId: diffIds[i]!,
      ...(i > 0 ? { parent: chain[i - 1]! } : {}),
      entries,
      size: entries.reduce((n, e) => n + (e.type === 'file' ? (e.size ?? 0) : 0), 0),
      createdAt: 0,
    };
    await db.put('snapshots', rec);
  }
  return chain;
}

const paths = async (chain: readonly Digest[]) => (await snapshots.merged(chain)).list().map((e) => e.path);

beforeEach(async () => {
  db = await openEngineDb(`snapshot-store-test-${process.pid}-${++dbCount}`);
  snapshots = new SnapshotStore(db);
});
afterEach(() => {
  vi.restoreAllMocks();
  db.close();
});

describe('SnapshotStore: snapshots by ChainID', () => {
  it('finds each layer of a stack under its ChainID, which names the whole stack below it', async () => {
    const chain = await storeStack('a', [[dir('/etc'), file('/etc/passwd')], [file('/etc/group')], [file('/etc/hosts')]]);
    const diff0 = await sha256Of('a layer 0');
    const diff1 = await sha256Of('a layer 1');
    // The bottom layer's ChainID is its DiffID; above it, sha256(parent ChainID + " " + DiffID).
    expect(chain[0]).toBe(diff0);
    expect(chain[1]).toBe(await sha256Of(`${diff0} ${diff1}`));
    for (const [i, id] of chain.entries()) {
      expect(await snapshots.has(id)).toBe(true);
      expect(await snapshots.get(id)).toMatchObject({ chainId: id, ...(i > 0 ? { parent: chain[i - 1] } : {}) });
    }
    expect((await snapshots.get(chain[0]!))!.parent).toBeUndefined();
    // A layer's DiffID alone is not a key above the bottom: the same layer on another parent is another snapshot.
    expect(await snapshots.has(diff1)).toBe(false);
    expect(await snapshots.get(diff1)).toBeUndefined();
  });

  it('keeps the same layer on two different parents as two snapshots', async () => {
    const shared = [file('/app/main')];
    const x = await storeStack('x', [[file('/x')], shared]);
    // Same DiffID for the top layer, different parent: rebuild the chain by hand.
    const diffTop = await sha256Of('x layer 1');
    const [y0] = await storeStack('y', [[file('/y')]]);
    const [, y1] = await chainIds([y0!, diffTop]);
    await db.put('snapshots', { chainId: y1!, diffId: diffTop, parent: y0!, entries: shared, size: 4, createdAt: 0 });

    expect(y1).not.toBe(x[1]);
    expect(await paths(x)).toEqual(['/app', '/app/main', '/x']);
    expect(await paths([y0!, y1!])).toEqual(['/app', '/app/main', '/y']);
  });
});

describe('SnapshotStore.merged', () => {
  it('is an empty root for no layers', async () => {
    const t = await snapshots.merged([]);
    expect(t.list()).toEqual([]);
    expect(t.entries.get('/')).toMatchObject({ type: 'dir' });
  });

  it('stacks layers bottom first: later entries replace earlier ones', async () => {
    const chain = await storeStack('s', [
      [dir('/etc'), file('/etc/os-release', 'aaaa'), dir('/bin'), file('/bin/sh', 'shsh')],
      [file('/etc/os-release', 'bbbb', 9), symlink('/bin/ash', 'sh')],
    ]);
    const tree = await snapshots.merged(chain);
    expect(tree.entries.get('/etc/os-release')).toMatchObject({ type: 'file', sha: 'bbbb', size: 9 });
    expect(tree.entries.get('/bin/ash')).toMatchObject({ type: 'symlink', linkTarget: 'sh' });
    expect(tree.list().map((e) => e.path)).toEqual(['/bin', '/bin/ash', '/bin/sh', '/etc', '/etc/os-release']);
    // A prefix of the chain is the image as it was at that layer.
    expect((await snapshots.merged(chain.slice(0, 1))).entries.get('/etc/os-release')).toMatchObject({ sha: 'aaaa' });
  });

  it('applies whiteouts and opaque directories to lower layers only', async () => {
    const chain = await storeStack('w', [
      [
        dir('/etc'),
        file('/etc/passwd'),
        file('/etc/shadow'),
        dir('/var'),
        dir('/var/cache'),
        file('/var/cache/a'),
        dir('/var/cache/sub'),
        file('/var/cache/sub/b'),
        dir('/opt'),
        dir('/opt/tool'),
        file('/opt/tool/bin'),
      ],
      // Layer 1: delete a file and a whole directory; make /var/cache opaque and add to it.
      [whiteout('/etc/shadow'), whiteout('/opt/tool'), opaque('/var/cache'), file('/var/cache/fresh')],
      // Layer 2: a whiteout for a path that never existed is harmless; a deleted path comes back.
      [whiteout('/nowhere'), dir('/opt/tool'), file('/opt/tool/new')],
    ]);
    expect(await paths(chain.slice(0, 2))).toEqual(['/etc', '/etc/passwd', '/opt', '/var', '/var/cache', '/var/cache/fresh']);
    expect(await paths(chain)).toEqual(['/etc', '/etc/passwd', '/opt', '/opt/tool', '/opt/tool/new', '/var', '/var/cache', '/var/cache/fresh']);
    // The opaque directory itself stays, with its lower metadata.
    expect((await snapshots.merged(chain)).entries.get('/var/cache')).toMatchObject({ type: 'dir', mode: 0o755 });
  });

  it('an opaque marker and a whiteout in the same layer as new entries hide only what is below', async () => {
    const chain = await storeStack('o', [
      [dir('/d'), file('/d/old'), file('/gone')],
      [opaque('/d'), file('/d/new'), whiteout('/gone'), file('/gone')],
    ]);
    // Order in the layer does not matter: whiteouts apply first, then the layer's own entries.
    expect(await paths(chain)).toEqual(['/d', '/d/new', '/gone']);
  });

  it('replacing a directory with a file drops what was under it', async () => {
    const chain = await storeStack('r', [[dir('/x'), file('/x/inner')], [file('/x')]]);
    const tree = await snapshots.merged(chain);
    expect(tree.list().map((e) => e.path)).toEqual(['/x']);
    expect(tree.entries.get('/x')).toMatchObject({ type: 'file' });
  });

  it('resolves hardlinks to files of lower layers, and refuses one to a whited-out file', async () => {
    const chain = await storeStack('h', [[dir('/bin'), file('/bin/busybox', 'bbbb', 100)], [hardlink('/bin/ls', '/bin/busybox')]]);
    expect((await snapshots.merged(chain)).entries.get('/bin/ls')).toMatchObject({ type: 'file', sha: 'bbbb', size: 100, hardlinkTo: '/bin/busybox' });

    const bad = await storeStack('hb', [[file('/target')], [whiteout('/target')], [hardlink('/link', '/target')]]);
    await expect(snapshots.merged(bad)).rejects.toBeInstanceOf(HostileLayerError);
  });

  it('refuses a layer entry below a symlink of a lower layer', async () => {
    const chain = await storeStack('e', [[symlink('/etc', '/host/etc')], [file('/etc/passwd')]]);
    await expect(snapshots.merged(chain)).rejects.toThrow(/goes through symlink \/etc/);
  });

  it('fails, naming it, when a snapshot of the stack is missing', async () => {
    const chain = await storeStack('m', [[file('/a')], [file('/b')], [file('/c')]]);
    await db.delete('snapshots', chain[1]!);
    await expect(snapshots.merged(chain)).rejects.toThrow(`snapshot ${chain[1]} is missing`);
  });

  it('serves a stack merged before from memory, always as the caller’s own copy', async () => {
    const chain = await storeStack('c', [[dir('/etc'), file('/etc/a')], [file('/etc/b')]]);
    const first = await snapshots.merged(chain);
    first.apply([file('/scribble'), whiteout('/etc/a')]);

    const get = vi.spyOn(snapshots, 'get');
    const second = await snapshots.merged(chain);
    expect(get).not.toHaveBeenCalled();
    expect(second.list().map((e) => e.path)).toEqual(['/etc', '/etc/a', '/etc/b']);
    second.apply([whiteout('/etc')]);
    expect(await paths(chain)).toEqual(['/etc', '/etc/a', '/etc/b']);

    // Another top (here a prefix) is another stack: read from the database.
    expect(await paths(chain.slice(0, 1))).toEqual(['/etc', '/etc/a']);
    expect(get).toHaveBeenCalledTimes(1);
  });
});

describe('garbage collection of snapshots and blobs (engine/images/gc.ts)', () => {
  it('keeps what an image references and sweeps the rest; interrupted downloads stay unless asked', async () => {
    const content = new ContentStore(db);
    const enc = new TextEncoder();
    const blob = async (s: string) => {
      const d = await sha256Of(s);
      await content.putVerified(d, enc.encode(s), 'application/octet-stream');
      return d;
    };
    const config = await blob('config');
    const manifest = await blob('manifest');
    const layer = await blob('layer');
    const orphanBlob = await blob('orphan');
    const kept = await storeStack('kept', [[file('/kept', 'k1')], [file('/kept2', 'k2')]]);
    const orphans = await storeStack('orphan', [[file('/orphan', 'o1')]]);
    const image: ImageRecord = {
      id: config,
      manifestDigest: manifest,
      manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      repoDigests: [],
      config: { os: 'linux', architecture: '386', rootfs: { type: 'layers', diff_ids: [] } },
      platform: { os: 'linux', architecture: '386' },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: 5 }],
      diffIds: [],
      chainIds: kept,
      size: 0,
      createdAt: 0,
    };
    await db.put('images', image);
    const interrupted = await sha256Of('half a layer');
    await db.put('ingests', { digest: interrupted, chunks: 1, chunkSize: 1 << 20, updatedAt: 0 });
    await db.put('blobChunks', new Uint8Array(3), [interrupted, 0]);

    const r = await collectGarbage(db);
    expect(r).toMatchObject({ blobs: 1, snapshots: 1 });
    expect(await content.has(orphanBlob)).toBe(false);
    for (const d of [config, manifest, layer]) expect(await content.has(d)).toBe(true);
    expect(await snapshots.has(orphans[0]!)).toBe(false);
    for (const c of kept) expect(await snapshots.has(c)).toBe(true);
    expect(await content.ingest(interrupted)).toBeDefined();

    await collectGarbage(db, { ingests: true });
    expect(await content.ingest(interrupted)).toBeUndefined();
    expect(await db.count('blobChunks', IDBKeyRange.bound([interrupted, 0], [interrupted, Infinity]))).toBe(0);
    expect(await paths(kept)).toEqual(['/kept', '/kept2']);
  });
});
