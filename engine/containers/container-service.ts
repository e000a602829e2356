import { ConnectionRefusedError } from '../../core/errors.ts';
import type { Digest } from '../../core/oci/digest.ts';
import type { ContainerRecord, LogRecord } from '../../core/store/container-types.ts';
import type { Db } from '../../core/store/db.ts';
import type { NetworkRecord } from '../../core/store/network-types.ts';
import type { SnapshotStore } from '../../core/store/snapshot-store.ts';
import type { EventBus } from '../events.ts';
import type { ImageService } from '../images/image-service.ts';
import type { ContainerNetworkHooks, NetworkService } from '../networks/network-service.ts';
import type { PortService } from '../networks/port-service.ts';
import type { NodeManager } from '../nodes/node-manager.ts';
import type { VolumeService } from '../volumes/volume-service.ts';
import { ContainerCatalog } from './container-catalog.ts';
import { type ChangeKind, ContainerFiles, type PathStat } from './container-files.ts';
import { ContainerIo, type ExecHandle, type ExecOptions } from './container-io.ts';
import { type ContainerSummary, type ListOptions, listContainers } from './container-listing.ts';
import { ContainerNetworking } from './container-networking.ts';
import { ContainerRecords } from './container-records.ts';
import { type AttachListeners, ContainerTasks } from './container-tasks.ts';
import type { CreateOptions } from './create-options.ts';
import { HealthMonitor } from './health-monitor.ts';
import type { LogQuery, LogStore } from './log-store.ts';

export interface ContainerServiceDeps {
  readonly db: Db;
  /** The IndexedDB database's name: node Workers open it themselves. */
  readonly dbName: string;
  readonly images: ImageService;
  readonly snapshots: SnapshotStore;
  readonly volumes: VolumeService;
  readonly nodes: NodeManager;
  readonly events: EventBus;
  readonly logs: LogStore;
  readonly networks: NetworkService;
  readonly ports: PortService;
  /** Frees file contents nobody references any more. */
  readonly collect: () => Promise<unknown>;
}

/**
 * `engine.containers`: records in IndexedDB (they survive reloads, as Docker's survive a daemon
 * restart), processes on node Workers, logs, restart policies and events with Docker's names.
 * Each job is its own part; this is the one API over them.
 */
/** Marks the containers a build's RUN steps run in: never shown to anyone once their build is gone. */
export const BUILD_STEP_LABEL = 'com.docker.build';

export class ContainerService {
  private readonly records: ContainerRecords;
  private readonly tasks: ContainerTasks;
  private readonly catalog: ContainerCatalog;
  private readonly io: ContainerIo;
  private readonly files: ContainerFiles;
  private readonly networking: ContainerNetworking;
  private readonly health: HealthMonitor;

  constructor(private readonly deps: ContainerServiceDeps) {
    const records = new ContainerRecords(deps.db);
    const networking = new ContainerNetworking({
      ...deps,
      records,
      running: (id) => this.tasks.liveOf(id) !== undefined,
      dial: async (id, port) => {
        const live = this.tasks.liveOf(id);
        if (!live) throw new ConnectionRefusedError(`connect to port ${port}/tcp: connection refused (container ${id.slice(0, 12)} is not running)`);
        return deps.nodes.connect(live.node, id, port);
      },
    });
    const tasks = new ContainerTasks({ ...deps, records, networking, autoRemove: (id) => this.catalog.remove(id, { volumes: true }) });
    const files = new ContainerFiles({ ...deps, records });
    this.records = records;
    this.tasks = tasks;
    this.files = files;
    this.networking = networking;
    this.catalog = new ContainerCatalog({ ...deps, records, tasks, files });
    this.io = new ContainerIo({ ...deps, records, tasks, networking });
    this.health = new HealthMonitor({ records, events: deps.events, exec: (id, o) => this.io.exec(id, o) });
  }

  /**
   * Loads the records; containers that were running when the page went away are exited now. A
   * build's step containers are removed: the build they belonged to ended with the page.
   */
  async recover(): Promise<void> {
    await this.tasks.recover();
    for (const r of this.records.all()) if (r.Config.Labels[BUILD_STEP_LABEL] === 'step') await this.catalog.remove(r.Id, { force: true, volumes: true });
  }

  /** What `docker network connect`/`disconnect` do to containers (see NetworkService). */
  networkHooks(): ContainerNetworkHooks {
    return {
      connect: (n: NetworkRecord, c, o) => this.networking.connect(n, c, o),
      disconnect: (n: NetworkRecord, c) => this.networking.disconnect(n, c),
    };
  }

  /** By full or short ID, or by name (with or without the slash). */
  resolve(idOrName: string): ContainerRecord {
    return this.records.resolve(idOrName);
  }

  /** Image IDs in use, for `docker rmi` conflicts. */
  usingImage(imageId: Digest): number {
    return this.records.usingImage(imageId);
  }

  usingVolume(name: string): string[] {
    return this.records.usingVolume(name);
  }

  create(o: CreateOptions): Promise<{ Id: string; Warnings: string[] }> {
    return this.catalog.create(o);
  }

  /**
   * Starts the main process. Listeners attached here see all output from the first byte
   * (`docker run` without -d, `docker start -a`).
   */
  start(idOrName: string, attach?: AttachListeners): Promise<void> {
    return this.tasks.start(idOrName, attach);
  }

  /** `docker stop`: the stop signal, then SIGKILL after the timeout. */
  stop(idOrName: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.tasks.stop(idOrName, opts);
  }

  kill(idOrName: string, signal: string | number = 'SIGKILL'): Promise<void> {
    return this.tasks.kill(idOrName, signal);
  }

  /** Kills a running container as a failure (Swarm's unhealthy task): `reason` is its State.Error. */
  fail(idOrName: string, reason: string): Promise<void> {
    return this.tasks.fail(idOrName, reason);
  }

  restart(idOrName: string, opts: { timeout?: number } = {}): Promise<void> {
    return this.tasks.restart(idOrName, opts);
  }

  /** `docker pause`: holds every process of the container (a WASI one at its next syscall). */
  pause(idOrName: string): Promise<void> {
    return this.tasks.pause(idOrName);
  }

  unpause(idOrName: string): Promise<void> {
    return this.tasks.unpause(idOrName);
  }

  /** Resolves when the container next stops (at once if it is not running). */
  wait(idOrName: string): Promise<{ StatusCode: number; Error?: string }> {
    return this.tasks.wait(idOrName);
  }

  remove(idOrName: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    return this.catalog.remove(idOrName, opts);
  }

  rename(idOrName: string, newName: string): Promise<void> {
    return this.catalog.rename(idOrName, newName);
  }

  inspect(idOrName: string): ContainerRecord {
    return this.records.resolve(idOrName);
  }

  list(opts: ListOptions = {}): ContainerSummary[] {
    return listContainers(this.records.all(), opts);
  }

  /** Output of a container from its log (`docker logs`). */
  logsOf(idOrName: string, q: LogQuery = {}): AsyncGenerator<LogRecord> {
    return this.io.logsOf(idOrName, q);
  }

  /** Adds output listeners to a running container (`docker attach`, `docker start -a`). */
  attach(idOrName: string, listeners: AttachListeners): () => void {
    return this.io.attach(idOrName, listeners);
  }

  writeStdin(idOrName: string, data: Uint8Array | null): Promise<void> {
    return this.io.writeStdin(idOrName, data);
  }

  resize(idOrName: string, columns: number, rows: number): Promise<void> {
    return this.io.resize(idOrName, columns, rows);
  }

  /** `docker exec`: another process in the same container filesystem. */
  exec(idOrName: string, o: ExecOptions): Promise<ExecHandle> {
    return this.io.exec(idOrName, o);
  }

  /** `docker top`: the container's processes. */
  top(idOrName: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    return this.io.top(idOrName);
  }

  /** `docker diff`: what the writable layer changed, added or deleted. */
  diff(idOrName: string): Promise<{ Path: string; Kind: ChangeKind }[]> {
    return this.files.diff(idOrName);
  }

  /** `docker cp CONTAINER:PATH -`: a tar of the path (a file, or a directory and what is below it). */
  getArchive(idOrName: string, path: string): Promise<Uint8Array> {
    return this.files.getArchive(idOrName, path);
  }

  /** A path in the container, symlinks followed for the last component too (as `docker cp` stats). */
  statPath(idOrName: string, path: string): Promise<PathStat> {
    return this.files.statPath(idOrName, path);
  }

  /** `docker cp - CONTAINER:DIR`: extracts a tar into a directory of the writable layer. */
  putArchive(idOrName: string, dir: string, tar: Uint8Array): Promise<void> {
    return this.files.putArchive(idOrName, dir, tar);
  }

  /** `docker container prune`: every stopped container. */
  prune(): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    return this.catalog.prune();
  }

  /** Bytes of file contents in a container's writable layer (`docker ps -s`, `system df`). */
  layerSize(id: string): Promise<number> {
    return this.files.layerSize(id);
  }

  /** Writes out buffered logs and stops timers (engine shutdown). */
  close(): Promise<void> {
    this.tasks.cancelRestartTimers();
    this.health.close();
    return this.deps.logs.close();
  }

  /** Containers counted by state, for `docker info`. */
  counts(): { total: number; running: number; paused: number; stopped: number } {
    return this.records.counts();
  }
}
