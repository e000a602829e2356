import { ContentStore } from '../core/store/content-store.ts';
import { type Db, openEngineDb } from '../core/store/db.ts';
import { containerScope, volumeScope } from '../core/store/fs-entries.ts';
import { SnapshotStore } from '../core/store/snapshot-store.ts';
import { checkStore, type StoreCheckReport } from '../core/store/store-check.ts';
import type { Builder } from './build/builder.ts';
import { commitContainer } from './build/commit.ts';
import { ComposeProjects } from './compose/compose-projects.ts';
import { ContainerService } from './containers/container-service.ts';
import { LogStore } from './containers/log-store.ts';
import { type EngineEvent, EventBus, type EventListener } from './events.ts';
import { collectGarbage } from './images/gc.ts';
import { ImageService } from './images/image-service.ts';
import type { NetworkFabric } from './networks/network-fabric.ts';
import { NetworkService } from './networks/network-service.ts';
import { PortService } from './networks/port-service.ts';
import { startWorkerFabric, type WorkerFabric } from './networks/worker-fabric.ts';
import { type NodeFactory, NodeManager } from './nodes/node-manager.ts';
import { acceptTabNodes, tabNodesSupported } from './nodes/tab-nodes.ts';
import { PublishedPorts } from './ports/published-ports.ts';
import { RegistryClient, type RegistryClientOptions } from './registry/client.ts';
import { RwLock } from './rw-lock.ts';
import { ServiceManager } from './services/service-manager.ts';
import { Stacks } from './services/stacks.ts';
import { persistOnFirstStore, type StorageReport, storageReport } from './storage-persistence.ts';
import { VolumeService } from './volumes/volume-service.ts';

export interface EngineOptions {
  /** IndexedDB database name; one engine per name (default `container-engine`). */
  readonly dbName?: string;
  readonly registry?: RegistryClientOptions;
  /** Most bytes one layer may expand to when unpacked (default 8 GiB): the decompression-bomb limit. */
  readonly maxLayerBytes?: number;
  /** Node Workers started with the engine (default 2; 0 where Workers do not exist, e.g. in Node). */
  readonly nodes?: number;
  readonly nodeFactory?: NodeFactory;
  /**
   * Where the x86 guest kit (`kit.json` and the saved machines) is served, relative to the page:
   * by default `/guest/` on the page's origin, where `npm start` and `npm run build`'s site have it.
   */
  readonly x86KitUrl?: string;
  /** Where lwIP's wasm (the engine's TCP/IP stack) is served, relative to the page: by default `/net/lwip.wasm`. */
  readonly lwipUrl?: string;
  /**
   * What carries the containers' packets (a switch per network): by default the network Worker
   * where Workers exist; `null` for none. Without one, networks, addresses and published ports
   * are still kept, and containers get /etc/hosts and resolv.conf, but no network interfaces.
   */
  readonly fabric?: NetworkFabric | null;
  /**
   * The project's proxy's egress endpoint (`ws://127.0.0.1:5173/egress`): containers reach beyond
   * their networks through the gateway's HTTP proxy, which goes there. Without it they cannot.
   */
  readonly egress?: string;
  /**
   * Called when another tab opens a newer version of the database: this engine's connection is
   * closed at once (so that tab's upgrade does not wait) and the engine cannot be used any more.
   * A page should say so and reload into the new code. `message` says what happened.
   */
  readonly onDatabaseClosed?: (message: string) => void;
  /**
   * Ask the browser to keep the origin's storage (`navigator.storage.persist()`) when the engine
   * first stores something (default true). A page that asks itself, or never wants to, says false.
   */
  readonly persistStorage?: boolean;
  /**
   * Take nodes that other tabs of this origin offer for this database (`joinAsNode`), so the
   * cluster spans tabs (default false). Needs SharedWorker and Web Locks; without them, ignored.
   */
  readonly tabNodes?: boolean;
}

export const ENGINE_VERSION = '0.1.0';
/** Most bytes one `ADD <url>` may fetch (the proxy has its own cap). */
const ADD_URL_MAX_BYTES = 512 * 2 ** 20;
export const API_VERSION = '1.47';

/** `url` resolved against the page, for Workers, which would resolve it against their own script. */
const pageUrl = (url: string | undefined) => (url === undefined ? undefined : new URL(url, globalThis.location?.href).href);

/**
 * The engine's database and snapshot store, which are not part of its API: for this repository's
 * tests and set-up checks, which look beneath it. Kept off the class, so embedders cannot reach them.
 */
interface EngineInternals {
  readonly db: Db;
  readonly snapshots: SnapshotStore;
}
const internals = new WeakMap<Engine, EngineInternals>();

export function engineInternals(engine: Engine): EngineInternals {
  return internals.get(engine)!;
}

/** Opens an engine (the page's Docker daemon): the package's entry point, as `Engine.open`. */
export function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return Engine.open(options);
}

/** The engine: Docker's object model over IndexedDB, for the CLI, the demo and embedding pages. */
export class Engine {
  readonly images: ImageService;
  readonly containers: ContainerService;
  readonly volumes: VolumeService;
  readonly networks: NetworkService;
  readonly ports: PublishedPorts;
  readonly nodes: NodeManager;
  /** `docker compose`: projects as labelled networks, volumes and containers. */
  readonly compose: ComposeProjects;
  /** `docker service`: Swarm-style services, reconciled into tasks on the nodes. */
  readonly services: ServiceManager;
  /** `docker stack`: Compose projects deployed as services. */
  readonly stacks: Stacks;
  private readonly bus = new EventBus();
  /** Shared by pulls and loads, exclusive for what sweeps the store (gc, `system check`). */
  private readonly lock = new RwLock();

  private constructor(
    private readonly db: Db,
    readonly dbName: string,
    registry: RegistryClient,
    content: ContentStore,
    snapshots: SnapshotStore,
    options: EngineOptions,
    private readonly ownFabric: WorkerFabric | undefined,
  ) {
    internals.set(this, { db, snapshots });
    if (options.persistStorage !== false) persistOnFirstStore(this.bus);
    const fabric = options.fabric === undefined ? ownFabric : options.fabric;
    const lock = this.lock;
    this.images = new ImageService(
      db,
      { db, client: registry, content, snapshots, limits: { maxLayerBytes: options.maxLayerBytes ?? 8 * 2 ** 30 } },
      content,
      this.bus,
      lock,
      async (id) => this.containers.usingImage(id),
    );
    const collect = () => lock.withExclusive(() => collectGarbage(db));
    this.nodes = new NodeManager(this.bus, options.nodeFactory, pageUrl(options.x86KitUrl));
    // What a node's Workers kept of a removed container's layer or volume would stay in memory
    // until other indexes pushed it out.
    this.bus.subscribe((e) => {
      if (e.Action !== 'destroy') return;
      if (e.Type === 'container') void this.nodes.forget([containerScope(e.Actor.ID)]);
      else if (e.Type === 'volume') void this.nodes.forget([volumeScope(e.Actor.ID)]);
    });
    const ports = new PortService();
    this.ports = new PublishedPorts({ ports, nodes: this.nodes, container: (id) => this.containers.inspect(id), fabric: fabric ?? undefined });
    this.volumes = new VolumeService(db, dbName, this.bus, async (name) => this.containers.usingVolume(name), collect);
    this.networks = new NetworkService(db, this.bus, () => this.containers.networkHooks(), fabric ?? undefined);
    this.containers = new ContainerService({
      db,
      dbName,
      images: this.images,
      snapshots,
      volumes: this.volumes,
      nodes: this.nodes,
      events: this.bus,
      logs: new LogStore(db),
      collect,
      networks: this.networks,
      ports,
    });
    const remote = { maxBytes: ADD_URL_MAX_BYTES, ...(options.registry?.proxy ? { proxy: options.registry.proxy } : {}) };
    // The Dockerfile front end and the builder load with the first build, not with the engine.
    let builder: Promise<Builder> | undefined;
    const building = () =>
      (builder ??= import('./build/builder.ts').then(
        (m) => new m.Builder({ images: this.images, containers: this.containers, volumes: this.volumes, snapshots, db, remote }),
      ));
    this.images.useMakers({
      build: async (o) => (await building()).build(o),
      pruneCacheMounts: async () => (await building()).pruneCacheMounts(),
      commit: (container, o) => commitContainer({ images: this.images, containers: this.containers, db }, container, o),
    });
    this.compose = new ComposeProjects({ containers: this.containers, networks: this.networks, volumes: this.volumes, images: this.images, events: this.bus });
    this.services = new ServiceManager(db, this.containers, this.nodes, this.bus, { networks: this.networks, ports });
    this.stacks = new Stacks(this.services, this.networks);
  }

  static async open(options: EngineOptions = {}): Promise<Engine> {
    const dbName = options.dbName ?? 'container-engine';
    const db = await openEngineDb(dbName, (v) =>
      options.onDatabaseClosed?.(`another tab opened version ${v ?? '?'} of the engine's database "${dbName}": this tab's engine closed its connection`),
    );
    const ownFabric = options.fabric === undefined && typeof Worker !== 'undefined' ? startWorkerFabric(options.egress, pageUrl(options.lwipUrl)) : undefined;
    const engine = new Engine(db, dbName, new RegistryClient(options.registry), new ContentStore(db), new SnapshotStore(db), options, ownFabric);
    const nodes = options.nodes ?? (typeof Worker === 'undefined' ? 0 : 2);
    for (let i = 0; i < nodes; i++) engine.nodes.add();
    if (options.tabNodes && tabNodesSupported()) acceptTabNodes(engine.nodes, dbName);
    await engine.networks.load();
    await engine.containers.recover();
    await engine.services.start();
    return engine;
  }

  /** Engine events as a stream (`docker events`), until `signal` aborts. */
  events(signal?: AbortSignal): AsyncGenerator<EngineEvent> {
    return this.bus.stream(signal);
  }

  /** Calls `listener` for each event; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void {
    return this.bus.subscribe(listener);
  }

  /**
   * `docker system check`: what in the store is missing or dangling; with `repair`, removes what
   * nothing references and records that point at data that is gone (store-check.ts).
   */
  checkStore(opts: { repair?: boolean } = {}): Promise<StoreCheckReport> {
    return this.lock.withExclusive(() => checkStore(this.db, opts));
  }

  async info(): Promise<{
    Containers: number;
    ContainersRunning: number;
    ContainersPaused: number;
    ContainersStopped: number;
    Images: number;
    Nodes: number;
    Driver: string;
    Name: string;
    ServerVersion: string;
    StorageUsage?: number;
    StorageQuota?: number;
    StoragePersisted?: boolean;
  }> {
    const images = await this.db.count('images');
    const est = await this.storage();
    const c = this.containers.counts();
    return {
      Containers: c.total,
      ContainersRunning: c.running,
      ContainersPaused: c.paused,
      ContainersStopped: c.stopped,
      Images: images,
      Nodes: this.nodes.list().length,
      Driver: 'indexeddb-snapshots',
      Name: 'browser',
      ServerVersion: ENGINE_VERSION,
      ...(est ? { StorageUsage: est.usage, StorageQuota: est.quota, StoragePersisted: est.persisted } : {}),
    };
  }

  /** The origin's storage use, quota and persistence, as the browser reports them (none in Node). */
  storage(): Promise<StorageReport | undefined> {
    return storageReport();
  }

  async close(): Promise<void> {
    this.services.close();
    this.nodes.close();
    await this.containers.close();
    this.ownFabric?.close();
    this.db.close();
  }
}
