import { writeTarEntries, type TarWriteEntry } from '../../core/archive/tar-writer.ts';
import { ConflictError, EngineError, InvalidParameterError, NotFoundError } from '../../core/errors.ts';
import type { EventBus } from '../events.ts';
import type { ImageService } from '../images/image-service.ts';
import type { Digest } from '../../core/oci/digest.ts';
import { formatPlatform, isWasiPlatform } from '../../core/oci/platform.ts';
import type { NodeManager } from '../nodes/node-manager.ts';
import { BatchWriter } from '../../core/store/batch-writer.ts';
import type { ContainerRecord, ContainerState, LogRecord, MountPoint } from '../../core/store/container-types.ts';
import type { Db, FsEntryRecord } from '../../core/store/db.ts';
import { FileSink, readFile } from '../../core/store/file-store.ts';
import { containerScope, deleteScope, listScope, staleIndex } from '../../core/store/fs-entries.ts';
import type { SnapshotStore } from '../../core/store/snapshot-store.ts';
import { baseName, isUnder, normalizeEntryPath } from '../../core/unpack/paths.ts';
import { readTar } from '../../core/unpack/tar-reader.ts';
import type { VolumeService } from '../volumes/volume-service.ts';
import { randomHex } from '../volumes/volume-service.ts';
import type { MountSpec, ProcessEvent, ProcessSpec } from '../../core/protocol.ts';
import { containerTree, containerTreeAndLayer, lookPath, resolvePath, resolveUser, subtree } from './container-fs.ts';
import { parseMemory, parseMountSpec, parseRestartPolicy, parseVolumeSpec, type CreateOptions, type MountRequest } from './create-options.ts';
import type { LogQuery, LogStore } from './log-store.ts';
import { CONTAINER_NAME_RE, randomName } from './names.ts';
import { nextDelay, shouldRestart } from './restart-policy.ts';
import { parseSignal } from './signals.ts';
import { humanDuration } from '../human-duration.ts';

/** A container the engine cannot run as asked (Docker's exit 126 class). */
export class CannotRunError extends EngineError {
  override readonly status = 400;
}

/** The command does not exist in the container (Docker's exit 127 class). */
export class CommandNotFoundError extends EngineError {
  override readonly status = 404;
}

/** The node could not start the container's process (the guest, its Worker, its filesystem): exit 125. */
export class ContainerStartError extends EngineError {}

/** Why a process ended before it started, as the error `start` rejects with. */
function startError(code: number, error: string): EngineError {
  if (code === 127) return new CommandNotFoundError(error);
  if (code === 126) return new CannotRunError(error);
  return new ContainerStartError(`failed to create task for container: ${error}`);
}

/** One row of `docker ps`. */
export interface ContainerSummary {
  readonly Id: string;
  readonly Names: readonly string[];
  readonly Image: string;
  readonly ImageID: Digest;
  readonly Command: string;
  /** Seconds since the epoch. */
  readonly Created: number;
  readonly State: ContainerState['Status'];
  /** `Up 5 seconds`, `Exited (0) 3 minutes ago`, `Created`. */
  readonly Status: string;
  readonly Labels: Readonly<Record<string, string>>;
  readonly Mounts: readonly MountPoint[];
  readonly Node: string;
}

export interface AttachListeners {
  readonly onStdout?: (data: Uint8Array) => void;
  readonly onStderr?: (data: Uint8Array) => void;
}

export interface ExecOptions extends AttachListeners {
  readonly cmd: readonly string[];
  readonly env?: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
  readonly tty?: boolean;
  readonly openStdin?: boolean;
}

export interface ExecHandle {
  readonly id: string;
  readonly exit: Promise<{ code: number; error?: string }>;
  write(data: Uint8Array | null): Promise<void>;
  resize(columns: number, rows: number): Promise<void>;
  /** Signals the exec'd process (Ctrl-C in `docker exec -it`). */
  kill(signal?: string | number): Promise<void>;
}

/** What `docker cp` needs to know about a path before copying (the Engine API's archive HEAD). */
export interface PathStat {
  readonly name: string;
  readonly size: number;
  /** Permission and type bits, as Go's os.FileMode reports them to the docker CLI. */
  readonly mode: number;
  readonly mtime: string;
  readonly linkTarget: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
}

/** Diff kinds as the Engine API numbers them. */
export const enum ChangeKind {
  Modified = 0,
  Added = 1,
  Deleted = 2,
}

interface Live {
  processId: string;
  node: string;
  startedAt: number;
  attach: Set<AttachListeners>;
  stopping: boolean;
}

type Filters = Readonly<Record<string, readonly string[]>>;

const ENGINE_RESTARTED = 'the engine stopped while the container was running (page closed or reloaded)';

/**
 * Containers: records in IndexedDB (they survive reloads, as Docker's survive a daemon
 * restart), processes on node Workers, logs, restart policies and events with Docker's names.
 */
export class ContainerService {
  private readonly records = new Map<string, ContainerRecord>();
  private readonly manuallyStopped = new Set<string>();
  private readonly live = new Map<string, Live>();
  private readonly waiters = new Map<string, ((r: { StatusCode: number; Error?: string }) => void)[]>();
  private readonly restartDelay = new Map<string, number>();
  private readonly restartTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly db: Db,
    private readonly dbName: string,
    private readonly images: ImageService,
    private readonly snapshots: SnapshotStore,
    private readonly volumes: VolumeService,
    private readonly nodes: NodeManager,
    private readonly events: EventBus,
    private readonly logs: LogStore,
    private readonly collect: () => Promise<unknown>,
  ) {}

  /** Loads the records; containers that were running when the page went away are exited now. */
  async recover(): Promise<void> {
    for (const r of await this.db.getAll('containers')) this.records.set(r.Id, r);
    const restart: string[] = [];
    for (const r of this.records.values()) {
      if (!r.State.Running && !r.State.Restarting) continue;
      await this.save({ ...r, State: { ...r.State, Status: 'exited', Running: false, Restarting: false, Pid: 0, ExitCode: 255, Error: ENGINE_RESTARTED, FinishedAt: new Date().toISOString() } });
      // As at a daemon start: `always` and `unless-stopped` containers come back.
      if (r.HostConfig.RestartPolicy.Name === 'always' || r.HostConfig.RestartPolicy.Name === 'unless-stopped') restart.push(r.Id);
    }
    for (const id of restart) void this.start(id).catch((e) => console.warn(`restart of ${id.slice(0, 12)} failed:`, e));
  }

  private async save(r: ContainerRecord): Promise<ContainerRecord> {
    this.records.set(r.Id, r);
    await this.db.put('containers', r);
    return r;
  }

  /** By full or short ID, or by name (with or without the slash). */
  resolve(idOrName: string): ContainerRecord {
    const s = idOrName.trim();
    const byName = [...this.records.values()].find((r) => r.Name === `/${s.replace(/^\//, '')}`);
    if (byName) return byName;
    const hits = [...this.records.values()].filter((r) => s.length > 0 && r.Id.startsWith(s));
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new InvalidParameterError(`multiple IDs found with provided prefix: ${s}`);
    throw new NotFoundError(`No such container: ${s}`);
  }

  /** Image IDs in use, for `docker rmi` conflicts. */
  usingImage(imageId: Digest): number {
    return [...this.records.values()].filter((r) => r.Image === imageId).length;
  }

  usingVolume(name: string): string[] {
    return [...this.records.values()].filter((r) => r.Mounts.some((m) => m.Type === 'volume' && m.Name === name)).map((r) => r.Id);
  }

  async create(o: CreateOptions): Promise<{ Id: string; Warnings: string[] }> {
    const image = await this.images.resolve(o.image);
    if (o.name !== undefined && !CONTAINER_NAME_RE.test(o.name)) {
      throw new InvalidParameterError(`Invalid container name (${o.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    if (o.platform) {
      const want = o.platform.toLowerCase();
      if (formatPlatform(image.platform) !== want && !(isWasiPlatform(image.platform) && /^wasi(p1|p2)?\/wasm(32)?$/.test(want))) {
        throw new InvalidParameterError(`image with reference ${o.image} was found but does not match the specified platform: wanted ${want}, actual: ${formatPlatform(image.platform)}`);
      }
    }
    const name = o.name?.replace(/^\//, '') ?? randomName((n) => [...this.records.values()].some((r) => r.Name === `/${n}`));
    const clash = [...this.records.values()].find((r) => r.Name === `/${name}`);
    if (clash) {
      throw new ConflictError(`Conflict. The container name "/${name}" is already in use by container "${clash.Id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const restart = parseRestartPolicy(o.restart);
    if (o.autoRemove && restart.Name !== 'no') throw new InvalidParameterError('Conflicting options: --restart and --rm');
    const memory = parseMemory(o.memory);
    const ic = image.config.config ?? {};
    const entrypoint = o.entrypoint !== undefined ? (o.entrypoint === '' ? [] : [o.entrypoint]) : [...(ic.Entrypoint ?? [])];
    const cmd = o.cmd?.length ? [...o.cmd] : o.entrypoint !== undefined ? [] : [...(ic.Cmd ?? [])];
    const argv = [...entrypoint, ...cmd];
    if (argv.length === 0) throw new InvalidParameterError('No command specified');

    const id = randomHex(64);
    const anon = () => randomHex(64);
    const requests: MountRequest[] = [
      ...(o.volumes ?? []).map((v) => parseVolumeSpec(v, anon)),
      ...(o.mounts ?? []).map((m) => parseMountSpec(m, anon)),
    ];
    for (const target of Object.keys(ic.Volumes ?? {})) {
      if (!requests.some((r) => r.mount.Destination === target)) requests.push(parseVolumeSpec(target, anon));
    }
    const seen = new Set<string>();
    for (const r of requests) {
      if (seen.has(r.mount.Destination)) throw new InvalidParameterError(`Duplicate mount point: ${r.mount.Destination}`);
      seen.add(r.mount.Destination);
    }
    for (const r of requests) if (r.create) await this.volumes.create({ name: r.create.name, anonymous: r.create.anonymous });

    const env = mergeEnv(ic.Env ?? [], o.env ?? []);
    const hostname = o.hostname ?? id.slice(0, 12);
    const now = new Date().toISOString();
    const rec: ContainerRecord = {
      Id: id,
      Name: `/${name}`,
      Created: now,
      Image: image.id,
      Platform: image.platform,
      Path: argv[0]!,
      Args: argv.slice(1),
      Config: {
        Hostname: hostname,
        User: o.user ?? ic.User ?? '',
        Env: env,
        Cmd: cmd.length ? cmd : null,
        Entrypoint: entrypoint.length ? entrypoint : null,
        WorkingDir: o.workdir ?? ic.WorkingDir ?? '',
        Labels: { ...(ic.Labels ?? {}), ...(o.labels ?? {}) },
        Tty: o.tty ?? false,
        OpenStdin: o.openStdin ?? false,
        StopSignal: o.stopSignal ?? ic.StopSignal ?? 'SIGTERM',
        StopTimeout: o.stopTimeout ?? 10,
        Image: o.image,
        Volumes: ic.Volumes ?? null,
      },
      HostConfig: { RestartPolicy: restart, AutoRemove: o.autoRemove ?? false, Memory: memory, PlacementConstraints: [...(o.constraints ?? [])] },
      Mounts: requests.map((r) => r.mount),
      State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' },
      RestartCount: 0,
      Node: '',
    };
    await this.save(rec);
    this.events.emit('container', 'create', id, { image: o.image, name });
    return { Id: id, Warnings: [] };
  }

  /**
   * Starts the main process. Listeners attached here see all output from the first byte
   * (`docker run` without -d, `docker start -a`).
   */
  async start(idOrName: string, attach?: AttachListeners): Promise<void> {
    const rec = this.resolve(idOrName);
    if (rec.State.Running) return;
    clearTimeout(this.restartTimers.get(rec.Id));
    this.restartTimers.delete(rec.Id);
    this.manuallyStopped.delete(rec.Id);
    const { spec, node } = await this.prepare(rec, rec.Id, [rec.Path, ...rec.Args], rec.Config.Env, rec.Config.WorkingDir, rec.Config.User, rec.Config.Tty, rec.Config.OpenStdin);
    const live: Live = { processId: rec.Id, node, startedAt: Date.now(), attach: new Set(attach ? [attach] : []), stopping: false };
    this.live.set(rec.Id, live);
    let started = false;
    let settle!: (failure?: EngineError) => void;
    const running = new Promise<void>((resolve, reject) => (settle = (failure) => (failure ? reject(failure) : resolve())));
    // The exit may come while `spawn` is still awaited: the rejection is taken below, not lost.
    running.catch(() => undefined);
    const onEvent = (e: ProcessEvent) => {
      if (e.type === 'started') {
        started = true;
        settle();
        void this.markRunning(rec.Id, node, e.pid);
      } else if (e.type === 'stdout' || e.type === 'stderr') {
        void this.logs.append(rec.Id, e.type, e.data);
        for (const a of live.attach) (e.type === 'stdout' ? a.onStdout : a.onStderr)?.(e.data);
      } else if (e.type === 'exit') {
        // Ended before it started, with the node's reason: the start failed, as Docker's does.
        settle(!started && e.error ? startError(e.code, e.error) : undefined);
        void this.onExit(rec.Id, live, e.code, e.error, e.oomKilled ?? false);
      }
    };
    try {
      await this.nodes.spawn(node, spec, onEvent);
    } catch (e) {
      this.live.delete(rec.Id);
      throw e;
    }
    await running;
  }

  private async markRunning(id: string, node: string, pid: number): Promise<void> {
    const r = this.records.get(id);
    if (!r || !this.live.has(id)) return;
    // Announced as the record changes, not after it is stored, so `start` always precedes `die`.
    const saved = this.save({
      ...r,
      Node: node,
      State: { ...r.State, Status: 'running', Running: true, Restarting: false, Pid: pid, ExitCode: 0, Error: '', OOMKilled: false, StartedAt: new Date().toISOString() },
    });
    this.events.emit('container', 'start', id, { name: r.Name.slice(1), image: r.Config.Image, node });
    await saved;
  }

  /** Builds what a node needs to run a process of this container. */
  private async prepare(
    rec: ContainerRecord,
    processId: string,
    argv: readonly string[],
    env: readonly string[],
    workdir: string,
    user: string,
    tty: boolean,
    openStdin: boolean,
  ): Promise<{ spec: ProcessSpec; node: string }> {
    const platform = runnablePlatform(rec.Platform);
    const image = await this.db.get('images', rec.Image);
    if (!image) throw new NotFoundError(`No such image: ${rec.Config.Image}`);
    const { tree, layerEmpty } = await containerTreeAndLayer(this.db, this.snapshots, rec.Id, image.chainIds);
    const fullEnv = withDefaults(env, rec.Config.Hostname, tty);
    const exe = lookPath(tree, argv[0]!, fullEnv);
    if (!exe) throw new CommandNotFoundError(`exec: "${argv[0]}": executable file not found in $PATH`);
    const who = await resolveUser(this.db, tree, user);
    if (typeof who === 'string') throw new CannotRunError(who);
    const mounts: MountSpec[] = rec.Mounts.map((m) => ({ kind: m.Type, source: m.Name, target: m.Destination, readOnly: !m.RW }));
    // An exec runs beside the container's main process, on its node.
    const main = processId === rec.Id;
    const node = main ? this.nodes.place(rec.HostConfig.PlacementConstraints) : this.live.get(rec.Id)!.node;
    const spec: ProcessSpec = {
      processId,
      containerId: rec.Id,
      dbName: this.dbName,
      chainIds: image.chainIds,
      mounts,
      argv: [exe, ...argv.slice(1)],
      env: fullEnv,
      cwd: workdir || '/',
      uid: who.uid,
      gid: who.gid,
      hostname: rec.Config.Hostname,
      tty,
      openStdin,
      memoryLimit: rec.HostConfig.Memory,
      platform,
      // With no process of the container running, nothing writes its layer before the node reads it.
      ...(main && layerEmpty ? { emptyLayer: true } : {}),
    };
    return { spec, node };
  }

  private async onExit(id: string, live: Live, code: number, error: string | undefined, oom: boolean): Promise<void> {
    if (this.live.get(id) !== live) return;
    await this.logs.flush();
    this.logs.end(id);
    const r = this.records.get(id);
    if (!r) {
      this.live.delete(id);
      return;
    }
    const manual = this.manuallyStopped.has(id) || live.stopping;
    const restart = shouldRestart(r.HostConfig.RestartPolicy, code, r.RestartCount, manual);
    const state: ContainerState = {
      ...r.State,
      Status: restart ? 'restarting' : 'exited',
      Running: false,
      Restarting: restart,
      Pid: 0,
      ExitCode: code,
      Error: error ?? '',
      OOMKilled: oom,
      FinishedAt: new Date().toISOString(),
    };
    // The record (in memory) and the live set change in one step: whoever sees the exit code also
    // sees the container not running, so a `wait` followed by `rm` never finds it still live.
    const saved = this.save({ ...r, State: state });
    this.live.delete(id);
    this.events.emit('container', 'die', id, { exitCode: String(code), name: r.Name.slice(1), image: r.Config.Image });
    for (const w of this.waiters.get(id) ?? []) w({ StatusCode: code, ...(error ? { Error: error } : {}) });
    this.waiters.delete(id);
    await saved;
    if (restart) {
      const delay = nextDelay(this.restartDelay.get(id) ?? 0, Date.now() - live.startedAt);
      this.restartDelay.set(id, delay);
      this.restartTimers.set(
        id,
        setTimeout(() => {
          this.restartTimers.delete(id);
          void this.restartAfterExit(id);
        }, delay),
      );
    } else if (r.HostConfig.AutoRemove) {
      await this.remove(id, { volumes: true }).catch(() => undefined);
    }
  }

  private async restartAfterExit(id: string): Promise<void> {
    const r = this.records.get(id);
    if (!r || !r.State.Restarting) return;
    await this.save({ ...r, RestartCount: r.RestartCount + 1 });
    try {
      await this.start(id);
      this.events.emit('container', 'restart', id, { name: r.Name.slice(1) });
    } catch (e) {
      const cur = this.records.get(id);
      if (cur) await this.save({ ...cur, State: { ...cur.State, Status: 'exited', Restarting: false, Error: (e as Error).message } });
    }
  }

  /** `docker stop`: the stop signal, then SIGKILL after the timeout. */
  async stop(idOrName: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.resolve(idOrName);
    this.manuallyStopped.add(rec.Id);
    this.cancelRestart(rec);
    const live = this.live.get(rec.Id);
    if (!live) return;
    live.stopping = true;
    const done = this.wait(rec.Id);
    const signal = parseSignal(opts.signal ?? rec.Config.StopSignal);
    this.events.emit('container', 'kill', rec.Id, { signal: String(signal), name: rec.Name.slice(1) });
    await this.nodes.kill(live.processId, signal);
    const timeout = (opts.timeout ?? rec.Config.StopTimeout) * 1000;
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(0, timeout)));
    if ((await Promise.race([done, timer])) === 'timeout') {
      this.events.emit('container', 'kill', rec.Id, { signal: '9', name: rec.Name.slice(1) });
      await this.nodes.kill(live.processId, 9);
      await done;
    }
    this.events.emit('container', 'stop', rec.Id, { name: rec.Name.slice(1) });
  }

  private cancelRestart(rec: ContainerRecord): void {
    const t = this.restartTimers.get(rec.Id);
    if (t === undefined) return;
    clearTimeout(t);
    this.restartTimers.delete(rec.Id);
    void this.save({ ...rec, State: { ...rec.State, Status: 'exited', Restarting: false } });
  }

  async kill(idOrName: string, signal: string | number = 'SIGKILL'): Promise<void> {
    const rec = this.resolve(idOrName);
    const live = this.live.get(rec.Id);
    if (!live) throw new ConflictError(`Cannot kill container: ${idOrName}: Container ${rec.Id} is not running`);
    const n = parseSignal(signal);
    this.manuallyStopped.add(rec.Id);
    this.events.emit('container', 'kill', rec.Id, { signal: String(n), name: rec.Name.slice(1) });
    await this.nodes.kill(live.processId, n);
  }

  async restart(idOrName: string, opts: { timeout?: number } = {}): Promise<void> {
    const rec = this.resolve(idOrName);
    await this.stop(rec.Id, opts);
    await this.start(rec.Id);
    this.events.emit('container', 'restart', rec.Id, { name: rec.Name.slice(1) });
  }

  pause(idOrName: string): Promise<void> {
    this.resolve(idOrName);
    return Promise.reject(new CannotRunError('pause is not supported: a WebAssembly process cannot be suspended between instructions'));
  }

  /** Resolves when the container next stops (at once if it is not running). */
  wait(idOrName: string): Promise<{ StatusCode: number; Error?: string }> {
    const rec = this.resolve(idOrName);
    if (!this.live.has(rec.Id) && !rec.State.Restarting) {
      return Promise.resolve({ StatusCode: rec.State.ExitCode, ...(rec.State.Error ? { Error: rec.State.Error } : {}) });
    }
    return new Promise((r) => {
      const list = this.waiters.get(rec.Id) ?? [];
      list.push(r);
      this.waiters.set(rec.Id, list);
    });
  }

  async remove(idOrName: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    await this.removeRecord(idOrName, opts);
    await this.collect();
  }

  /** `docker rm` without the garbage collection that frees the writable layer's file contents. */
  private async removeRecord(idOrName: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    const rec = this.resolve(idOrName);
    if (this.live.has(rec.Id)) {
      if (!opts.force) {
        throw new ConflictError(`You cannot remove a running container ${rec.Id}. Stop the container before attempting removal or force remove`);
      }
      const done = this.wait(rec.Id);
      this.manuallyStopped.add(rec.Id);
      await this.nodes.kill(this.live.get(rec.Id)!.processId, 9);
      await done;
    }
    this.cancelRestart(rec);
    this.records.delete(rec.Id);
    await this.db.delete('containers', rec.Id);
    await deleteScope(this.db, containerScope(rec.Id));
    await this.logs.remove(rec.Id);
    this.events.emit('container', 'destroy', rec.Id, { name: rec.Name.slice(1), image: rec.Config.Image });
    if (opts.volumes) {
      for (const m of rec.Mounts) {
        if (m.Type !== 'volume') continue;
        const v = await this.volumes.inspect(m.Name).catch(() => undefined);
        if (v?.Anonymous && this.usingVolume(m.Name).length === 0) await this.volumes.remove(m.Name).catch(() => undefined);
      }
    }
  }

  async rename(idOrName: string, newName: string): Promise<void> {
    const rec = this.resolve(idOrName);
    const name = newName.replace(/^\//, '');
    if (!CONTAINER_NAME_RE.test(name)) throw new InvalidParameterError(`Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const clash = [...this.records.values()].find((r) => r.Name === `/${name}`);
    if (clash) throw new ConflictError(`Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${clash.Id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const old = rec.Name;
    await this.save({ ...rec, Name: `/${name}` });
    this.events.emit('container', 'rename', rec.Id, { name, oldName: old });
  }

  inspect(idOrName: string): ContainerRecord {
    return this.resolve(idOrName);
  }

  list(opts: { all?: boolean; filters?: Filters; limit?: number } = {}): ContainerSummary[] {
    let rows = [...this.records.values()].sort((a, b) => b.Created.localeCompare(a.Created));
    if (!opts.all) rows = rows.filter((r) => r.State.Running || r.State.Restarting);
    for (const [key, values] of Object.entries(opts.filters ?? {})) rows = rows.filter((r) => values.some((v) => filterMatches(r, key, v)));
    if (opts.limit !== undefined && opts.limit >= 0) rows = rows.slice(0, opts.limit);
    return rows.map((r) => ({
      Id: r.Id,
      Names: [r.Name],
      Image: r.Config.Image,
      ImageID: r.Image,
      Command: [r.Path, ...r.Args].join(' '),
      Created: Math.floor(Date.parse(r.Created) / 1000),
      State: r.State.Status,
      Status: statusText(r),
      Labels: r.Config.Labels,
      Mounts: r.Mounts,
      Node: r.Node,
    }));
  }

  /** Output of a container from its log (`docker logs`). */
  logsOf(idOrName: string, q: LogQuery = {}): AsyncGenerator<LogRecord> {
    const rec = this.resolve(idOrName);
    return this.logs.read(rec.Id, q, this.live.has(rec.Id));
  }

  /** Adds output listeners to a running container (`docker attach`, `docker start -a`). */
  attach(idOrName: string, listeners: AttachListeners): () => void {
    const live = this.live.get(this.resolve(idOrName).Id);
    if (!live) throw new ConflictError(`You cannot attach to a stopped container, start it first`);
    live.attach.add(listeners);
    return () => live.attach.delete(listeners);
  }

  async writeStdin(idOrName: string, data: Uint8Array | null): Promise<void> {
    const live = this.live.get(this.resolve(idOrName).Id);
    if (live) await this.nodes.writeStdin(live.processId, data);
  }

  async resize(idOrName: string, columns: number, rows: number): Promise<void> {
    const live = this.live.get(this.resolve(idOrName).Id);
    if (live) await this.nodes.resize(live.processId, columns, rows);
  }

  /** `docker exec`: another process in the same container filesystem. */
  async exec(idOrName: string, o: ExecOptions): Promise<ExecHandle> {
    const rec = this.resolve(idOrName);
    if (!this.live.has(rec.Id)) throw new ConflictError(`Container ${rec.Id} is not running`);
    if (!o.cmd.length) throw new InvalidParameterError('No exec command specified');
    const execId = randomHex(64);
    const env = mergeEnv(rec.Config.Env, o.env ?? []);
    const { spec, node } = await this.prepare(rec, execId, o.cmd, env, o.workdir ?? rec.Config.WorkingDir, o.user ?? rec.Config.User, o.tty ?? false, o.openStdin ?? false);
    let resolveExit!: (r: { code: number; error?: string }) => void;
    const exit = new Promise<{ code: number; error?: string }>((r) => (resolveExit = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    this.events.emit('container', `exec_create: ${o.cmd.join(' ')}`, rec.Id, { execID: execId });
    await this.nodes.spawn(node, spec, (e) => {
      if (e.type === 'started') started();
      else if (e.type === 'stdout') o.onStdout?.(e.data);
      else if (e.type === 'stderr') o.onStderr?.(e.data);
      else if (e.type === 'exit') {
        started();
        this.events.emit('container', 'exec_die', rec.Id, { execID: execId, exitCode: String(e.code) });
        resolveExit({ code: e.code, ...(e.error ? { error: e.error } : {}) });
      }
    });
    await running;
    this.events.emit('container', `exec_start: ${o.cmd.join(' ')}`, rec.Id, { execID: execId });
    return {
      id: execId,
      exit,
      write: (data) => this.nodes.writeStdin(execId, data),
      resize: (c, r) => this.nodes.resize(execId, c, r),
      kill: async (signal = 'SIGKILL') => void (await this.nodes.kill(execId, parseSignal(signal))),
    };
  }

  /** `docker top`: the container's processes. */
  async top(idOrName: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    const rec = this.resolve(idOrName);
    if (!this.live.has(rec.Id)) throw new ConflictError(`Container ${rec.Id} is not running`);
    const procs = await this.nodes.top(rec.Id);
    return {
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: procs.map((p) => [
        String(rec.Config.User || 'root'),
        String(p.pid),
        '0',
        '0',
        new Date(p.startedAt).toISOString().slice(11, 16),
        rec.Config.Tty ? 'pts/0' : '?',
        formatCpuTime(Date.now() - p.startedAt),
        p.argv.join(' '),
      ]),
    };
  }

  /** `docker diff`: what the writable layer changed, added or deleted. */
  async diff(idOrName: string): Promise<{ Path: string; Kind: ChangeKind }[]> {
    const rec = this.resolve(idOrName);
    const image = await this.db.get('images', rec.Image);
    const base = image ? await this.snapshots.merged(image.chainIds) : undefined;
    const out: { Path: string; Kind: ChangeKind }[] = [];
    for (const e of await listScope(this.db, containerScope(rec.Id))) {
      if (e.type === 'whiteout') out.push({ Path: e.path, Kind: ChangeKind.Deleted });
      else out.push({ Path: e.path, Kind: base?.entries.has(e.path) ? ChangeKind.Modified : ChangeKind.Added });
    }
    return out.sort((a, b) => (a.Path < b.Path ? -1 : 1));
  }

  /** `docker cp CONTAINER:PATH -`: a tar of the path (a file, or a directory and what is below it). */
  async getArchive(idOrName: string, path: string): Promise<Uint8Array> {
    const rec = this.resolve(idOrName);
    const tree = await this.treeOf(rec);
    const abs = normalizeEntryPath(path);
    const top = resolvePath(tree, abs);
    if (!top) throw new NotFoundError(`Could not find the file ${path} in container ${idOrName}`);
    const root = top.path;
    const prefix = baseName(abs) || '.';
    const entries: TarWriteEntry[] = [];
    for (const e of subtree(tree, root)) {
      if (e.type !== 'file' && e.type !== 'dir' && e.type !== 'symlink') continue;
      const name = e.path === root ? prefix : `${prefix}${root === '/' ? e.path : e.path.slice(root.length)}`;
      const data = e.type === 'file' && e.sha ? await readFile(this.db, e.sha) : undefined;
      entries.push({ name, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, ...(data ? { data } : {}), ...(e.linkTarget ? { linkTarget: e.linkTarget } : {}) });
    }
    return writeTarEntries(entries);
  }

  /** A path in the container, symlinks followed for the last component too (as `docker cp` stats). */
  async statPath(idOrName: string, path: string): Promise<PathStat> {
    const rec = this.resolve(idOrName);
    const tree = await this.treeOf(rec);
    const abs = normalizeEntryPath(path);
    const e = resolvePath(tree, abs);
    if (!e) throw new NotFoundError(`Could not find the file ${path} in container ${idOrName}`);
    const type = e.type === 'file' || e.type === 'dir' || e.type === 'symlink' ? e.type : 'other';
    return {
      name: baseName(abs) || '/',
      size: e.size ?? 0,
      mode: e.mode,
      mtime: new Date(e.mtime * 1000).toISOString(),
      linkTarget: tree.entries.get(abs)?.type === 'symlink' ? tree.entries.get(abs)!.linkTarget! : '',
      type,
    };
  }

  /** `docker cp - CONTAINER:DIR`: extracts a tar into a directory of the writable layer. */
  async putArchive(idOrName: string, dir: string, tar: Uint8Array): Promise<void> {
    const rec = this.resolve(idOrName);
    const tree = await this.treeOf(rec);
    const root = normalizeEntryPath(dir);
    const target = resolvePath(tree, root);
    if (!target) throw new NotFoundError(`Could not find the file ${dir} in container ${idOrName}`);
    if (target.type !== 'dir') throw new InvalidParameterError(`extraction point is not a directory: ${dir}`);
    const writer = new BatchWriter(this.db);
    const sink = new FileSink(this.db, writer);
    const scope = containerScope(rec.Id);
    const entries: FsEntryRecord[] = [];
    for await (const { header: h, body } of readTar((async function* () { yield tar; })())) {
      const rel = normalizeEntryPath(h.name);
      if (rel === '/') continue;
      const path = target.path === '/' ? rel : `${target.path}${rel}`;
      if (!isUnder(path, target.path)) throw new InvalidParameterError(`refusing to extract ${h.name} outside ${dir}`);
      const common = { scope, path, mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime };
      if (h.type === 'file') entries.push({ ...common, type: 'file', size: h.size, sha: await sink.write(h.size, body) });
      else if (h.type === 'dir') entries.push({ ...common, type: 'dir' });
      else if (h.type === 'symlink') entries.push({ ...common, type: 'symlink', linkTarget: h.linkName });
    }
    // Refuse what stacking would refuse (paths through symlinks) before anything is recorded.
    tree.clone().apply(entries);
    await sink.finish();
    for (const e of entries) await writer.put('fsEntries', e);
    await writer.drain();
    // After the entries: a process starting in between reads the old index or rebuilds a full one.
    await staleIndex(this.db, scope);
  }

  private async treeOf(rec: ContainerRecord) {
    const image = await this.db.get('images', rec.Image);
    if (!image) throw new NotFoundError(`No such image: ${rec.Config.Image}`);
    return containerTree(this.db, this.snapshots, rec.Id, image.chainIds);
  }

  /** `docker container prune`: every stopped container. */
  async prune(): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    let bytes = 0;
    for (const r of [...this.records.values()]) {
      if (r.State.Running || r.State.Restarting) continue;
      bytes += await this.layerSize(r.Id);
      await this.removeRecord(r.Id, {});
      deleted.push(r.Id);
    }
    if (deleted.length) await this.collect();
    return { ContainersDeleted: deleted, SpaceReclaimed: bytes };
  }

  /** Bytes of file contents in a container's writable layer (`docker ps -s`, `system df`). */
  async layerSize(id: string): Promise<number> {
    let n = 0;
    for (const e of await listScope(this.db, containerScope(id))) n += e.size ?? 0;
    return n;
  }

  /** Writes out buffered logs and stops timers (engine shutdown). */
  close(): Promise<void> {
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
    return this.logs.close();
  }

  /** Containers counted by state, for `docker info`. */
  counts(): { total: number; running: number; paused: number; stopped: number } {
    const all = [...this.records.values()];
    const running = all.filter((r) => r.State.Running).length;
    return { total: all.length, running, paused: 0, stopped: all.length - running };
  }
}

/** Whether a container's processes get a kernel terminal: x86 guests have one, WASI modules do not. */
export function hasKernelTerminal(rec: ContainerRecord): boolean {
  return !isWasiPlatform(rec.Platform) && rec.Platform.os === 'linux' && rec.Platform.architecture === '386';
}

/** How a platform runs here: WASI natively, linux/386 under x86 emulation; nothing else. */
function runnablePlatform(p: ContainerRecord['Platform']): 'wasi' | 'linux/386' {
  if (isWasiPlatform(p)) return 'wasi';
  if (p.os === 'linux' && p.architecture === '386') return 'linux/386';
  throw new CannotRunError(
    `image platform ${formatPlatform(p)} cannot run here: containers run as WASI (wasi/wasm) or under x86 emulation (linux/386)`,
  );
}

/** Image env, then the caller's: a later KEY replaces an earlier one, as Docker merges them. */
export function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...extra]) {
    const eq = e.indexOf('=');
    if (eq < 0) continue;
    out.set(e.slice(0, eq), e);
  }
  return [...out.values()];
}

/** What Docker adds to every container's environment. */
function withDefaults(env: readonly string[], hostname: string, tty: boolean): string[] {
  const extra = [`HOSTNAME=${hostname}`, ...(tty ? ['TERM=xterm'] : [])];
  const base = env.some((e) => e.startsWith('PATH=')) ? env : ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...env];
  return mergeEnv(extra, base);
}

function filterMatches(r: ContainerRecord, key: string, v: string): boolean {
  switch (key) {
    case 'status':
      return r.State.Status === v;
    case 'name':
      return r.Name.slice(1).includes(v.replace(/^\//, ''));
    case 'id':
      return r.Id.startsWith(v);
    case 'exited':
      return !r.State.Running && String(r.State.ExitCode) === v;
    case 'label': {
      const [k, val] = v.split('=', 2) as [string, string | undefined];
      return k in r.Config.Labels && (val === undefined || r.Config.Labels[k] === val);
    }
    case 'ancestor':
      return r.Config.Image === v || r.Image === v || r.Image.startsWith(`sha256:${v}`);
    case 'volume':
      return r.Mounts.some((m) => m.Name === v || m.Destination === v);
    case 'node':
      return r.Node === v;
    default:
      throw new InvalidParameterError(`invalid filter '${key}'`);
  }
}

/** Docker's "Up 5 seconds" / "Exited (0) 3 minutes ago" wording. */
export function statusText(r: ContainerRecord, now = Date.now()): string {
  const since = (iso: string) => humanDuration((now - Date.parse(iso)) / 1000);
  switch (r.State.Status) {
    case 'running':
      return `Up ${since(r.State.StartedAt)}`;
    case 'restarting':
      return `Restarting (${r.State.ExitCode}) ${since(r.State.FinishedAt)} ago`;
    case 'exited':
      return r.State.FinishedAt.startsWith('0001') ? 'Created' : `Exited (${r.State.ExitCode}) ${since(r.State.FinishedAt)} ago`;
    case 'created':
      return 'Created';
    default:
      return r.State.Status;
  }
}

function formatCpuTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
