import { asEngineError, ConflictError, EngineError } from '../../core/errors.ts';
import type { ProcessEvent, ProcessSpec } from '../../core/protocol.ts';
import type { ContainerRecord, ContainerState } from '../../core/store/container-types.ts';
import { startError } from './container-errors.ts';
import type { ContainerNetworking } from './container-networking.ts';
import type { ContainerRecords } from './container-records.ts';
import type { ContainerServiceDeps } from './container-service.ts';
import { processSpec } from './process-spec.ts';
import { nextDelay, shouldRestart } from './restart-policy.ts';
import { parseSignal } from './signals.ts';

export interface AttachListeners {
  readonly onStdout?: (data: Uint8Array) => void;
  readonly onStderr?: (data: Uint8Array) => void;
}

/** A container's main process, from `start` until its exit is handled. */
export interface LiveProcess {
  readonly processId: string;
  readonly node: string;
  readonly startedAt: number;
  readonly attach: Set<AttachListeners>;
  /** `docker stop` is under way: the exit does not trigger the restart policy. */
  stopping: boolean;
}

export type ContainerTasksDeps = Pick<ContainerServiceDeps, 'db' | 'dbName' | 'snapshots' | 'nodes' | 'events' | 'logs' | 'networks'> & {
  readonly records: ContainerRecords;
  readonly networking: ContainerNetworking;
  /** Removes a `--rm` container (and its anonymous volumes) once its process has ended. */
  readonly autoRemove: (id: string) => Promise<void>;
};

/** A container's State.Error when it was running as the page went away. */
export const ENGINE_RESTARTED = 'the engine stopped while the container was running (page closed or reloaded)';

/** Containers' main processes on node Workers: start, stop, kill, wait, exits and restart policies. */
export class ContainerTasks {
  private readonly live = new Map<string, LiveProcess>();
  private readonly manuallyStopped = new Set<string>();
  /** Why the engine killed a container (an unhealthy task), kept as its State.Error. */
  private readonly failures = new Map<string, string>();
  private readonly waiters = new Map<string, ((r: { StatusCode: number; Error?: string }) => void)[]>();
  private readonly restartDelay = new Map<string, number>();
  private readonly restartTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly deps: ContainerTasksDeps) {}

  /** Loads the records; containers that were running (or paused) when the page went away are exited now. */
  async recover(): Promise<void> {
    const { records } = this.deps;
    await records.load(this.deps.networks.inspect('bridge').Id);
    const restart: string[] = [];
    for (const r of records.all()) {
      if (!r.State.Running && !r.State.Restarting) continue;
      // A full quota must not keep the engine from opening (where space can be freed).
      await this.saveState({
        ...r,
        State: {
          ...r.State,
          Status: 'exited',
          Running: false,
          Paused: false,
          Restarting: false,
          Pid: 0,
          ExitCode: 255,
          Error: ENGINE_RESTARTED,
          FinishedAt: new Date().toISOString(),
        },
      });
      // As at a daemon start: `always` and `unless-stopped` containers come back.
      if (r.HostConfig.RestartPolicy.Name === 'always' || r.HostConfig.RestartPolicy.Name === 'unless-stopped') restart.push(r.Id);
    }
    for (const id of restart) void this.start(id).catch((e) => console.warn(`restart of ${id.slice(0, 12)} failed:`, e));
  }

  /** The container's main process, while it runs. */
  liveOf(id: string): LiveProcess | undefined {
    return this.live.get(id);
  }

  /**
   * Starts the main process. Listeners attached here see all output from the first byte
   * (`docker run` without -d, `docker start -a`).
   */
  async start(idOrName: string, attach?: AttachListeners): Promise<void> {
    const { records, nodes, logs } = this.deps;
    const rec = records.resolve(idOrName);
    if (rec.State.Paused) throw new ConflictError('cannot start a paused container, try unpause instead');
    if (rec.State.Running) return;
    clearTimeout(this.restartTimers.get(rec.Id));
    this.restartTimers.delete(rec.Id);
    this.manuallyStopped.delete(rec.Id);
    const { networking } = this.deps;
    const network = await networking.up(rec);
    let placed: { spec: ProcessSpec; node: string };
    try {
      placed = await processSpec(this.deps, records.get(rec.Id) ?? rec, {
        processId: rec.Id,
        argv: [rec.Path, ...rec.Args],
        env: rec.Config.Env,
        workdir: rec.Config.WorkingDir,
        user: rec.Config.User,
        tty: rec.Config.Tty,
        openStdin: rec.Config.OpenStdin,
        node: () => nodes.place(rec.HostConfig.PlacementConstraints),
        network,
      });
    } catch (e) {
      await networking.down(rec.Id);
      throw e;
    }
    const { spec, node } = placed;
    const live: LiveProcess = { processId: rec.Id, node, startedAt: Date.now(), attach: new Set(attach ? [attach] : []), stopping: false };
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
        void logs.append(rec.Id, e.type, e.data);
        for (const a of live.attach) (e.type === 'stdout' ? a.onStdout : a.onStderr)?.(e.data);
      } else if (e.type === 'exit') {
        // Ended before it started, with the node's reason: the start failed, as Docker's does.
        settle(!started && e.error ? startError(e.code, e.error) : undefined);
        void this.onExit(rec.Id, live, e.code, e.error, e.oomKilled ?? false);
      }
    };
    try {
      await nodes.spawn(node, spec, onEvent);
    } catch (e) {
      this.live.delete(rec.Id);
      await networking.down(rec.Id);
      throw e;
    }
    await running;
  }

  private async markRunning(id: string, node: string, pid: number): Promise<void> {
    const r = this.deps.records.get(id);
    if (!r || !this.live.has(id)) return;
    // Announced as the record changes, not after it is stored, so `start` always precedes `die`.
    const saved = this.saveState({
      ...r,
      Node: node,
      State: {
        ...r.State,
        Status: 'running',
        Running: true,
        Paused: false,
        Restarting: false,
        Pid: pid,
        ExitCode: 0,
        Error: '',
        OOMKilled: false,
        StartedAt: new Date().toISOString(),
      },
    });
    this.deps.events.container('start', r, { node });
    await saved;
  }

  /**
   * A state change, kept in memory whatever happens; if IndexedDB refuses it (a full quota) the
   * container goes on, and after a reload it shows its last stored state, as after a crash.
   */
  private async saveState(r: ContainerRecord): Promise<void> {
    await this.deps.records.save(r).catch(unsaved(r.Id));
  }

  private async onExit(id: string, live: LiveProcess, code: number, error: string | undefined, oom: boolean): Promise<void> {
    const { records, logs, events } = this.deps;
    if (this.live.get(id) !== live) return;
    const why = error ?? this.failures.get(id);
    this.failures.delete(id);
    await logs.flush();
    logs.end(id);
    const r = records.get(id);
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
      Paused: false,
      Restarting: restart,
      Pid: 0,
      ExitCode: code,
      Error: why ?? '',
      OOMKilled: oom,
      FinishedAt: new Date().toISOString(),
    };
    // The record (in memory) and the live set change in one step: whoever sees the exit code also
    // sees the container not running, so a `wait` followed by `rm` never finds it still live.
    const saved = this.saveState({ ...r, State: state });
    this.live.delete(id);
    // Freed in the same step too: a start right after the exit finds its address and ports free.
    const freed = this.deps.networking.down(id).catch(unsaved(id));
    events.container('die', r, { exitCode: String(code) });
    for (const w of this.waiters.get(id) ?? []) w({ StatusCode: code, ...(why ? { Error: why } : {}) });
    this.waiters.delete(id);
    await saved;
    await freed;
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
      await this.deps.autoRemove(id).catch(() => undefined);
    }
  }

  private async restartAfterExit(id: string): Promise<void> {
    const { records } = this.deps;
    const r = records.get(id);
    if (!r || !r.State.Restarting) return;
    await records.save({ ...r, RestartCount: r.RestartCount + 1 });
    try {
      await this.start(id);
      this.deps.events.container('restart', r);
    } catch (e) {
      const cur = records.get(id);
      if (cur) await records.save({ ...cur, State: { ...cur.State, Status: 'exited', Restarting: false, Error: (e as Error).message } });
    }
  }

  /** `docker stop`: the stop signal, then SIGKILL after the timeout. */
  async stop(idOrName: string, opts: { timeout?: number; signal?: string }): Promise<void> {
    const { records, events } = this.deps;
    const rec = records.resolve(idOrName);
    this.manuallyStopped.add(rec.Id);
    this.cancelRestart(rec);
    const live = this.live.get(rec.Id);
    if (!live) return;
    live.stopping = true;
    const done = this.wait(rec.Id);
    const signal = parseSignal(opts.signal ?? rec.Config.StopSignal);
    events.container('kill', rec, { signal: String(signal) });
    await this.signal(rec.Id, live, signal);
    const timeout = (opts.timeout ?? rec.Config.StopTimeout) * 1000;
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(0, timeout)));
    if ((await Promise.race([done, timer])) === 'timeout') {
      events.container('kill', rec, { signal: '9' });
      await this.signal(rec.Id, live, 9);
      await done;
    }
    events.container('stop', rec);
  }

  private cancelRestart(rec: ContainerRecord): void {
    const t = this.restartTimers.get(rec.Id);
    if (t === undefined) return;
    clearTimeout(t);
    this.restartTimers.delete(rec.Id);
    void this.deps.records.save({ ...rec, State: { ...rec.State, Status: 'exited', Restarting: false } });
  }

  async kill(idOrName: string, signal: string | number): Promise<void> {
    const rec = this.deps.records.resolve(idOrName);
    const live = this.live.get(rec.Id);
    if (!live) throw new ConflictError(`Cannot kill container: ${idOrName}: Container ${rec.Id} is not running`);
    const n = parseSignal(signal);
    this.manuallyStopped.add(rec.Id);
    this.deps.events.container('kill', rec, { signal: String(n) });
    await this.signal(rec.Id, live, n);
  }

  /** Kills a running container as a failure: `reason` becomes its State.Error. */
  async fail(idOrName: string, reason: string): Promise<void> {
    const rec = this.deps.records.resolve(idOrName);
    if (!this.live.has(rec.Id)) return;
    this.failures.set(rec.Id, reason);
    await this.kill(rec.Id, 'SIGKILL');
  }

  /**
   * Signals the main process. SIGKILL and the stop signal also unpause a paused container, as
   * Docker's daemon resumes it after the kill so that the signal takes effect; the unpause is
   * announced first, so `unpause` comes before `die`.
   */
  private async signal(id: string, live: LiveProcess, signal: number): Promise<void> {
    const r = this.deps.records.get(id);
    const resume = r?.State.Paused === true && (signal === 9 || signal === parseSignal(r.Config.StopSignal));
    if (resume) void this.setPaused(r, false);
    await this.deps.nodes.kill(live.processId, signal);
    if (resume) await this.deps.nodes.unpause(live.node, id).catch(() => undefined);
  }

  async restart(idOrName: string, opts: { timeout?: number }): Promise<void> {
    const rec = this.deps.records.resolve(idOrName);
    await this.stop(rec.Id, opts);
    await this.start(rec.Id);
    this.deps.events.container('restart', rec);
  }

  /** `docker pause`: every process of the container is held (see NodeAgentApi.pause). */
  async pause(idOrName: string): Promise<void> {
    const rec = this.deps.records.resolve(idOrName);
    const live = this.live.get(rec.Id);
    if (rec.State.Restarting) throw new ConflictError(`Container ${rec.Id} is restarting, wait until the container is running`);
    if (!live || !rec.State.Running) throw new ConflictError(`container ${rec.Id} is not running`);
    if (rec.State.Paused) throw new ConflictError(`Container ${rec.Id} is already paused`);
    // Marked before the node is asked, so a second pause meanwhile is refused (Docker holds a lock).
    const saved = this.setPaused(rec, true, false);
    try {
      await this.deps.nodes.pause(live.node, rec.Id);
    } catch (e) {
      await saved;
      const cur = this.deps.records.get(rec.Id);
      if (cur && this.live.get(rec.Id) === live) await this.setPaused(cur, false, false);
      throw new EngineError(`cannot pause container ${rec.Id}: ${(e as Error).message}`);
    }
    // The process may have ended meanwhile: then it was not paused.
    if (this.live.get(rec.Id) === live) this.deps.events.container('pause', rec);
    await saved;
  }

  /** `docker unpause`: the container's processes go on. */
  async unpause(idOrName: string): Promise<void> {
    const rec = this.deps.records.resolve(idOrName);
    const live = this.live.get(rec.Id);
    if (!live || !rec.State.Running) throw new ConflictError(`container ${rec.Id} is not running`);
    if (!rec.State.Paused) throw new ConflictError(`Container ${rec.Id} is not paused`);
    const saved = this.setPaused(rec, false);
    await this.deps.nodes.unpause(live.node, rec.Id);
    await saved;
  }

  /**
   * Records the pause state (in memory at once) and, unless `announce` is false, emits
   * `pause`/`unpause` as it changes, so whoever sees the event also sees the state.
   */
  private setPaused(r: ContainerRecord, paused: boolean, announce = true): Promise<ContainerRecord> {
    const saved = this.deps.records.save({ ...r, State: { ...r.State, Status: paused ? 'paused' : 'running', Paused: paused } });
    if (announce) this.deps.events.container(paused ? 'pause' : 'unpause', r);
    return saved;
  }

  /** Resolves when the container next stops (at once if it is not running). */
  wait(idOrName: string): Promise<{ StatusCode: number; Error?: string }> {
    const rec = this.deps.records.resolve(idOrName);
    if (!this.live.has(rec.Id) && !rec.State.Restarting) {
      return Promise.resolve({ StatusCode: rec.State.ExitCode, ...(rec.State.Error ? { Error: rec.State.Error } : {}) });
    }
    return new Promise((r) => {
      const list = this.waiters.get(rec.Id) ?? [];
      list.push(r);
      this.waiters.set(rec.Id, list);
    });
  }

  /** Before `docker rm`: a running (or paused) container is refused, or killed with `force`; a pending restart is dropped. */
  async endForRemoval(rec: ContainerRecord, force: boolean): Promise<void> {
    const live = this.live.get(rec.Id);
    if (live) {
      if (!force && rec.State.Paused) {
        throw new ConflictError(
          `You cannot remove a paused container ${rec.Id}. Unpause and then stop the container before attempting removal or force remove`,
        );
      }
      if (!force) {
        throw new ConflictError(`You cannot remove a running container ${rec.Id}. Stop the container before attempting removal or force remove`);
      }
      const done = this.wait(rec.Id);
      this.manuallyStopped.add(rec.Id);
      await this.signal(rec.Id, live, 9);
      await done;
    }
    this.cancelRestart(rec);
  }

  /** Engine shutdown: no restart fires after it. */
  cancelRestartTimers(): void {
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
  }
}

/** Reports a state change IndexedDB refused; the change holds in memory (see saveState). */
const unsaved = (id: string) => (e: unknown) => console.warn(`container ${id.slice(0, 12)}: state not saved:`, asEngineError(e));
