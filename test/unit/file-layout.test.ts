// How contents are laid out in the file store: a writer's growing pack, and the per-scope index
// of fsEntries (derived data that must never lag the entries it mirrors).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { type FsEntryRecord, openEngineDb } from '../../core/store/db.ts';
import { GROWING_PACK_MAX, GrowingPack } from '../../core/store/file-layout.ts';
import { decodeIndex, deleteScope, encodeIndex, rebuildScopeIndex, staleIndex } from '../../core/store/fs-entries.ts';

const file = (sha: string, size: number) => ({ sha, bytes: new Uint8Array(size).fill(sha.charCodeAt(0)) });

describe('GrowingPack', () => {
  it('appends each commit to the same pack, leaving earlier bytes where they were', () => {
    const pack = new GrowingPack();
    const a = pack.append([file('a', 10)]);
    a.commit();
    const b = pack.append([file('b', 5), file('c', 3)]);
    b.commit();
    const [id, bytes] = b.data[0]!;
    expect(a.data[0]![0]).toBe(id);
    expect(bytes.byteLength).toBe(18);
    expect(bytes.subarray(0, 10)).toEqual(a.data[0]![1]);
    expect(b.records.map((r) => r.loc)).toEqual([
      { pack: id, offset: 10 },
      { pack: id, offset: 15 },
    ]);
  });

  it('forgets an append that was not stored, and starts a new pack when one is full', () => {
    const pack = new GrowingPack();
    pack.append([file('a', 100)]);
    const kept = pack.append([file('b', 7)]);
    expect(kept.records[0]!.loc).toMatchObject({ offset: 0 });
    kept.commit();
    const next = pack.append([file('c', GROWING_PACK_MAX - 3)]);
    next.commit();
    expect(next.data[0]![0]).not.toBe(kept.data[0]![0]);
    expect(next.records[0]!.loc).toMatchObject({ offset: 0 });
    // Alone larger than the cap: a pack of its own, and the growing one carries on.
    const huge = pack.append([file('d', GROWING_PACK_MAX + 1)]);
    huge.commit();
    expect(pack.append([file('e', 1)]).data[0]![0]).toBe(next.data[0]![0]);
  });
});

describe('the fsEntries index of a scope', () => {
  const entry = (scope: string, path: string): FsEntryRecord => ({ scope, path, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 });

  it('is rebuilt from the entries, dropped when they change, and deleted with the scope', async () => {
    const db = await openEngineDb(`index-${Math.random()}`);
    await db.put('fsEntries', entry('c:1', '/a'));
    await db.put('fsEntries', entry('c:2', '/other'));
    expect((await rebuildScopeIndex(db, 'c:1')).map((e) => e.path)).toEqual(['/a']);
    // Written as the rebuilding transaction ends.
    await new Promise((r) => setTimeout(r, 10));
    expect(decodeIndex((await db.get('fsIndex', 'c:1'))!).map((e) => e.path)).toEqual(['/a']);
    await db.put('fsEntries', entry('c:1', '/b'));
    await staleIndex(db, 'c:1');
    expect(await db.get('fsIndex', 'c:1')).toBeUndefined();
    expect((await rebuildScopeIndex(db, 'c:1')).map((e) => e.path)).toEqual(['/a', '/b']);
    await new Promise((r) => setTimeout(r, 10));
    await deleteScope(db, 'c:1');
    expect(await db.get('fsIndex', 'c:1')).toBeUndefined();
    expect(await db.count('fsEntries')).toBe(1);
    db.close();
  });

  it('keeps every field through its columns, and leaves out what an entry lacks', () => {
    const entries: FsEntryRecord[] = [
      { scope: 'v:x', path: '/', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1 },
      {
        scope: 'v:x',
        path: '/f',
        type: 'file',
        mode: 0o644,
        uid: 1000,
        gid: 50,
        mtime: 1.5e9,
        size: 18,
        sha: 'ab'.repeat(32),
        at: { pack: 'p:1', offset: 4096 },
      },
      { scope: 'v:x', path: '/big', type: 'file', mode: 0o600, uid: 0, gid: 0, mtime: 2, size: 3 << 30, sha: 'cd'.repeat(32) },
      { scope: 'v:x', path: '/l', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 3, linkTarget: '../ü nicode' },
      { scope: 'v:x', path: '/gone', type: 'whiteout', mode: 0, uid: 0, gid: 0, mtime: 0 },
      { scope: 'v:x', path: '/dev/null', type: 'char', mode: 0o666, uid: 0, gid: 0, mtime: 4, devMajor: 1, devMinor: 3 },
    ];
    expect(decodeIndex(encodeIndex('v:x', entries))).toEqual(entries);
    expect(decodeIndex(encodeIndex('v:x', []))).toEqual([]);
  });

  it('gets a new stamp each time it is written, and a store from version 2 gains the stamp index', async () => {
    expect(encodeIndex('v:x', []).stamp).not.toBe(encodeIndex('v:x', []).stamp);
    // A version-2 database, as the engine made it before stamps: fsIndex without the index.
    const name = 'upgrade-from-2';
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(name, 2);
      req.onupgradeneeded = () => {
        req.result.createObjectStore('fsIndex', { keyPath: 'scope' });
        req.result.createObjectStore('fsEntries', { keyPath: ['scope', 'path'] });
      };
      req.onsuccess = () => {
        const tx = req.result.transaction('fsIndex', 'readwrite');
        const { stamp: _, ...old } = encodeIndex('c:old', [{ scope: 'c:old', path: '/a', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1 }]);
        tx.objectStore('fsIndex').put(old);
        tx.oncomplete = () => {
          req.result.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
      req.onerror = () => reject(req.error);
    });
    const db = await openEngineDb(name);
    const old = await db.get('fsIndex', 'c:old');
    expect(old?.stamp).toBeUndefined();
    expect(decodeIndex(old!).map((e) => e.path)).toEqual(['/a']);
    const fresh = encodeIndex('c:new', []);
    await db.put('fsIndex', fresh);
    expect(await db.getKeyFromIndex('fsIndex', 'stamp', fresh.stamp!)).toBe('c:new');
    db.close();
  });
});
