import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { Digest } from '../oci/digest.ts';
import type { ContainerRecord, LogRecord, VolumeRecord } from './container-types.ts';
import type { ImageRecord } from './image-types.ts';
import type { NetworkRecord } from './network-types.ts';
import type { ServiceRecord } from './service-types.ts';
import type { LayerEntry, SnapshotRecord } from './snapshot-types.ts';

/** A verified, complete blob in the content store; its bytes live in `blobChunks`. */
export interface BlobRecord {
  readonly digest: Digest;
  readonly size: number;
  readonly mediaType: string;
  readonly chunkSize: number;
  readonly chunks: number;
  readonly createdAt: number;
}

/** A download in progress: the first `chunks` full chunks of `digest` are in `blobChunks`. */
export interface IngestRecord {
  readonly digest: Digest;
  readonly chunks: number;
  readonly chunkSize: number;
  readonly updatedAt: number;
}

/** Where one file's contents are: a slice of a pack, or its own chunk records. */
export type FileLocation = { readonly pack: string; readonly offset: number } | { readonly chunks: string; readonly count: number };

export interface FileRecord {
  /** sha256 of the contents, hex. */
  readonly sha: string;
  readonly size: number;
  readonly loc: FileLocation;
  /** The pack, duplicated at top level so it can be indexed. */
  readonly pack?: string;
}

export interface TagRecord {
  /** Canonical `registry/repository:tag`. */
  readonly name: string;
  readonly image: Digest;
}

/**
 * A container's writable layer or a volume, as entries over the same file store as images:
 * key [scope, path] where scope is `c:<container id>` or `v:<volume name>`. In a writable layer,
 * `whiteout` and `opaque` entries hide image content, exactly as in an image layer.
 */
export interface FsEntryRecord extends LayerEntry {
  readonly scope: string;
  /**
   * Where the file's contents were stored when this entry was written: a hint that saves the
   * `files` lookup. Bytes at an offset of a pack never change, so a hint is either right or
   * names a pack that is gone (then the `files` record says where the contents are).
   */
  readonly at?: PackSlice;
}

/** A file's contents as a slice of a pack record (see FileLocation). */
export interface PackSlice {
  readonly pack: string;
  readonly offset: number;
}

/**
 * Every entry of one `fsEntries` scope in a single record, column by column (fs-entries.ts), so
 * a process start reads one record instead of one per path. IndexedDB's per-record and
 * per-object costs: 2,500 entries take ~19 ms as records, ~5 ms as one array of objects, ~2 ms
 * as these columns. Derived data: whoever changes a scope's entries deletes its index in the
 * same transaction, and the next reader rebuilds it inside one read-write transaction, so it
 * never lags the entries.
 */
export interface FsIndexRecord {
  readonly scope: string;
  /**
   * New with each index written (absent before version 3): a Worker that kept a decoded index
   * knows it is current while this stamp is stored.
   */
  readonly stamp?: string;
  readonly count: number;
  /** Text fields, each the entries' values joined by NUL (which no path or link target holds). */
  readonly paths: string;
  readonly types: string;
  readonly shas: string;
  readonly links: string;
  readonly packs: string;
  /** Numeric fields, a fixed number per entry (fs-entries.ts); NaN where an entry has none. */
  readonly numbers: Float64Array;
}

export interface EngineDB extends DBSchema {
  blobs: { key: string; value: BlobRecord };
  blobChunks: { key: [string, number]; value: Uint8Array };
  ingests: { key: string; value: IngestRecord };
  files: { key: string; value: FileRecord; indexes: { pack: string } };
  fileData: { key: string; value: Uint8Array };
  snapshots: { key: string; value: SnapshotRecord };
  images: { key: string; value: ImageRecord };
  tags: { key: string; value: TagRecord; indexes: { image: string } };
  containers: { key: string; value: ContainerRecord };
  fsEntries: { key: [string, string]; value: FsEntryRecord };
  fsIndex: { key: string; value: FsIndexRecord; indexes: { stamp: string } };
  volumes: { key: string; value: VolumeRecord };
  logs: { key: [string, number]; value: LogRecord };
  networks: { key: string; value: NetworkRecord };
  services: { key: string; value: ServiceRecord };
}

export type Db = IDBPDatabase<EngineDB>;

const DB_VERSION = 5;

/**
 * Opens (and upgrades) the engine's database. When a newer version is opened elsewhere (a tab
 * with new code), this connection closes at once so that upgrade does not hang, and `onClosed`
 * says so: whatever holds it must stop using it (the page reloads into the new code).
 */
export function openEngineDb(name: string, onClosed?: (newVersion: number | null) => void): Promise<Db> {
  let opened: Db | undefined;
  const db = openDB<EngineDB>(name, DB_VERSION, {
    blocking(_current, newVersion) {
      opened?.close();
      onClosed?.(newVersion);
    },
    upgrade(db, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) {
        db.createObjectStore('blobs', { keyPath: 'digest' });
        db.createObjectStore('blobChunks');
        db.createObjectStore('ingests', { keyPath: 'digest' });
        const files = db.createObjectStore('files', { keyPath: 'sha' });
        files.createIndex('pack', 'pack');
        db.createObjectStore('fileData');
        db.createObjectStore('snapshots', { keyPath: 'chainId' });
        db.createObjectStore('images', { keyPath: 'id' });
        const tags = db.createObjectStore('tags', { keyPath: 'name' });
        tags.createIndex('image', 'image');
        db.createObjectStore('containers', { keyPath: 'Id' });
        db.createObjectStore('fsEntries', { keyPath: ['scope', 'path'] });
        db.createObjectStore('volumes', { keyPath: 'Name' });
        db.createObjectStore('logs');
      }
      if (oldVersion < 2) db.createObjectStore('fsIndex', { keyPath: 'scope' });
      if (oldVersion < 3) tx.objectStore('fsIndex').createIndex('stamp', 'stamp', { unique: true });
      if (oldVersion < 4) db.createObjectStore('networks', { keyPath: 'Id' });
      if (oldVersion < 5) db.createObjectStore('services', { keyPath: 'ID' });
    },
  });
  return db.then((d) => (opened = d));
}
