import { ConflictError, InvalidParameterError } from '../../core/errors.ts';
import type { LogRecord } from '../../core/store/container-types.ts';
import { randomHex } from '../random-hex.ts';
import { mergeEnv } from './container-env.ts';
import type { ContainerNetworking } from './container-networking.ts';
import type { ContainerRecords } from './container-records.ts';
import type { ContainerServiceDeps } from './container-service.ts';
import type { AttachListeners, ContainerTasks } from './container-tasks.ts';
import type { LogQuery } from './log-store.ts';
import { processSpec, withNetwork } from './process-spec.ts';
import { parseSignal } from './signals.ts';

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

export type ContainerIoDeps = Pick<ContainerServiceDeps, 'db' | 'dbName' | 'snapshots' | 'nodes' | 'events' | 'logs'> & {
  readonly records: ContainerRecords;
  readonly tasks: ContainerTasks;
  readonly networking: ContainerNetworking;
};

/** A container's running processes from outside: logs, attach, stdin, terminal size, exec and top. */
export class ContainerIo {
  constructor(private readonly deps: ContainerIoDeps) {}

  /** Output of a container from its log (`docker logs`). */
  logsOf(idOrName: string, q: LogQuery): AsyncGenerator<LogRecord> {
    const rec = this.deps.records.resolve(idOrName);
    return this.deps.logs.read(rec.Id, q, this.deps.tasks.liveOf(rec.Id) !== undefined);
  }

  /** Adds output listeners to a running container (`docker attach`, `docker start -a`). */
  attach(idOrName: string, listeners: AttachListeners): () => void {
    const rec = this.deps.records.resolve(idOrName);
    const live = this.deps.tasks.liveOf(rec.Id);
    if (!live) throw new ConflictError(`You cannot attach to a stopped container, start it first`);
    if (rec.State.Paused) throw new ConflictError(`container ${idOrName} is paused, unpause the container before attach`);
    live.attach.add(listeners);
    return () => live.attach.delete(listeners);
  }

  async writeStdin(idOrName: string, data: Uint8Array | null): Promise<void> {
    const live = this.deps.tasks.liveOf(this.deps.records.resolve(idOrName).Id);
    if (live) await this.deps.nodes.writeStdin(live.processId, data);
  }

  async resize(idOrName: string, columns: number, rows: number): Promise<void> {
    const live = this.deps.tasks.liveOf(this.deps.records.resolve(idOrName).Id);
    if (live) await this.deps.nodes.resize(live.processId, columns, rows);
  }

  /** `docker exec`: another process in the same container filesystem. */
  async exec(idOrName: string, o: ExecOptions): Promise<ExecHandle> {
    const { records, tasks, nodes, events } = this.deps;
    const rec = records.resolve(idOrName);
    if (!tasks.liveOf(rec.Id)) throw new ConflictError(`Container ${rec.Id} is not running`);
    if (rec.State.Paused) throw new ConflictError(`Container ${idOrName} is paused, unpause the container before exec`);
    if (!o.cmd.length) throw new InvalidParameterError('No exec command specified');
    const execId = randomHex(64);
    const { spec, node } = await processSpec(this.deps, rec, {
      processId: execId,
      argv: o.cmd,
      env: mergeEnv(rec.Config.Env, o.env ?? []),
      workdir: o.workdir ?? rec.Config.WorkingDir,
      user: o.user ?? rec.Config.User,
      tty: o.tty ?? false,
      openStdin: o.openStdin ?? false,
      // An exec runs beside the container's main process, on its node.
      node: () => tasks.liveOf(rec.Id)!.node,
      ...withNetwork(this.deps.networking.execSpec(rec.Id)),
    });
    let resolveExit!: (r: { code: number; error?: string }) => void;
    const exit = new Promise<{ code: number; error?: string }>((r) => (resolveExit = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    events.container(`exec_create: ${o.cmd.join(' ')}`, rec, { execID: execId });
    await nodes.spawn(node, spec, (e) => {
      if (e.type === 'started') started();
      else if (e.type === 'stdout') o.onStdout?.(e.data);
      else if (e.type === 'stderr') o.onStderr?.(e.data);
      else if (e.type === 'exit') {
        started();
        events.container('exec_die', rec, { execID: execId, exitCode: String(e.code) });
        resolveExit({ code: e.code, ...(e.error ? { error: e.error } : {}) });
      }
    });
    await running;
    events.container(`exec_start: ${o.cmd.join(' ')}`, rec, { execID: execId });
    return {
      id: execId,
      exit,
      write: (data) => nodes.writeStdin(execId, data),
      resize: (c, r) => nodes.resize(execId, c, r),
      kill: async (signal = 'SIGKILL') => void (await nodes.kill(execId, parseSignal(signal))),
    };
  }

  /** `docker top`: the container's processes. */
  async top(idOrName: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    const rec = this.deps.records.resolve(idOrName);
    if (!this.deps.tasks.liveOf(rec.Id)) throw new ConflictError(`Container ${rec.Id} is not running`);
    const procs = await this.deps.nodes.top(rec.Id);
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
}

function formatCpuTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
