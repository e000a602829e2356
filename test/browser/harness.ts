// Runs in Chromium: exposes the runtime to Playwright tests as `window.T`.

import * as errors from '../../core/errors.ts';
import { readFile } from '../../core/store/file-store.ts';
import type { TreeEntry } from '../../core/store/snapshot-types.ts';
import { Engine, type EngineOptions, engineInternals } from '../../engine/engine.ts';

const params = new URLSearchParams(location.search);
const dbName = params.get('db') ?? 'harness';

const STORES = ['blobs', 'blobChunks', 'ingests', 'files', 'fileData', 'snapshots', 'images', 'tags'] as const;
type StoreStats = Record<(typeof STORES)[number] | 'fileDataBytes' | 'blobBytes', number>;

/** Store sizes: record counts per object store and stored bytes. */
async function storeStats(engine: Engine): Promise<StoreStats> {
  const { db } = engineInternals(engine);
  const out = { fileDataBytes: 0, blobBytes: 0 } as StoreStats;
  for (const s of STORES) out[s] = await db.count(s);
  for (const b of await db.getAll('fileData')) out.fileDataBytes += b.byteLength;
  for (const b of await db.getAll('blobChunks')) out.blobBytes += b.byteLength;
  return out;
}

/** The merged root filesystem of an image, as plain data. */
async function tree(engine: Engine, name: string): Promise<TreeEntry[]> {
  const img = await engine.images.resolve(name);
  return (await engineInternals(engine).snapshots.merged(img.chainIds)).list();
}

async function fileText(engine: Engine, sha: string): Promise<string> {
  const b = await readFile(engineInternals(engine).db, sha);
  return b ? new TextDecoder().decode(b) : '';
}

/** Errors cross to Node as plain objects: class name, message, and the typed fields. */
function describe(e: unknown): { name: string; message: string; status?: number } {
  if (e instanceof Error) return { name: e.constructor.name, message: e.message, ...(e instanceof errors.EngineError ? { status: e.status } : {}) };
  return { name: 'unknown', message: String(e) };
}

async function open(opts: EngineOptions = {}): Promise<Engine> {
  return Engine.open({ dbName, ...opts });
}

/**
 * Simulates a full quota (Chromium's CDP quota override is not enforced reliably): once
 * `budget` bytes of binary values were put, a put aborts its transaction and throws the
 * QuotaExceededError a browser reports. `null` lifts the limit.
 */
const realPut = IDBObjectStore.prototype.put;
function limitStorage(budget: number | null): void {
  if (budget === null) {
    IDBObjectStore.prototype.put = realPut;
    return;
  }
  let left = budget;
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    if (value instanceof Uint8Array) left -= value.byteLength;
    if (left < 0) {
      this.transaction.abort();
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    }
    return realPut.call(this, value, key);
  };
}

/** Deletes a database; resolves once it is gone, or once another connection blocks that. */
function wipe(name: string): Promise<void> {
  return new Promise((res) => {
    const q = indexedDB.deleteDatabase(name);
    q.onsuccess = q.onerror = q.onblocked = () => res();
  });
}

/** The engine's database, which tests read and damage beneath the API. */
const db = (engine: Engine) => engineInternals(engine).db;

const T = { open, storeStats, tree, fileText, describe, errors, Engine, limitStorage, db, wipe };
(window as unknown as { T: typeof T }).T = T;
export type Harness = typeof T;
