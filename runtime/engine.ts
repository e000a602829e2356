import { EventBus, type EngineEvent, type EventListener } from './events.ts';
import { ImageService } from './images/image-service.ts';
import { RegistryClient, type RegistryClientOptions } from './registry/client.ts';
import { RwLock } from './rw-lock.ts';
import { ContentStore } from './store/content-store.ts';
import { openEngineDb, type Db } from './store/db.ts';
import { SnapshotStore } from './store/snapshot-store.ts';

export interface EngineOptions {
  /** IndexedDB database name; one engine per name (default `container-engine`). */
  readonly dbName?: string;
  readonly registry?: RegistryClientOptions;
  /** Most bytes one layer may expand to when unpacked (default 8 GiB): the decompression-bomb limit. */
  readonly maxLayerBytes?: number;
}

export const ENGINE_VERSION = '0.1.0';
export const API_VERSION = '1.47';

/** The engine: Docker's object model over IndexedDB, for the CLI, the demo and embedding pages. */
export class Engine {
  readonly images: ImageService;
  private readonly bus = new EventBus();

  private constructor(
    readonly db: Db,
    readonly registry: RegistryClient,
    readonly content: ContentStore,
    readonly snapshots: SnapshotStore,
    readonly options: EngineOptions,
  ) {
    const lock = new RwLock();
    this.images = new ImageService(
      db,
      { db, client: registry, content, snapshots, limits: { maxLayerBytes: options.maxLayerBytes ?? 8 * 2 ** 30 } },
      content,
      this.bus,
      lock,
    );
  }

  static async open(options: EngineOptions = {}): Promise<Engine> {
    const db = await openEngineDb(options.dbName ?? 'container-engine');
    return new Engine(db, new RegistryClient(options.registry), new ContentStore(db), new SnapshotStore(db), options);
  }

  /** Engine events as a stream (`docker events`), until `signal` aborts. */
  events(signal?: AbortSignal): AsyncGenerator<EngineEvent> {
    return this.bus.stream(signal);
  }

  /** Calls `listener` for each event; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void {
    return this.bus.subscribe(listener);
  }

  async info(): Promise<{ Images: number; Driver: string; Name: string; ServerVersion: string; StorageUsage?: number; StorageQuota?: number }> {
    const images = await this.db.count('images');
    const est = typeof navigator !== 'undefined' && navigator.storage?.estimate ? await navigator.storage.estimate() : undefined;
    return {
      Images: images,
      Driver: 'indexeddb-snapshots',
      Name: 'browser',
      ServerVersion: ENGINE_VERSION,
      ...(est?.usage !== undefined ? { StorageUsage: est.usage } : {}),
      ...(est?.quota !== undefined ? { StorageQuota: est.quota } : {}),
    };
  }

  close(): void {
    this.db.close();
  }
}
