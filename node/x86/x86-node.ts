// The x86 side of a node agent: each linux/386 container runs in a guest Worker of its own
// (guest-worker.ts); `exec`s go to their container's Worker. A node starts one guest Worker
// ahead (its code loaded). After its first x86 container it keeps the compiled emulator, the
// inflated state and a guest Worker with the machine already restored, so the next container
// only mounts its root and spawns.

import { OutputRelay } from '../../core/output-relay.ts';
import type { ProcessEvent, ProcessInfo, ProcessSpec } from '../../core/protocol.ts';
import type { MachineImage } from './container-session.ts';
import { DEFAULT_MEMORY_MIB } from './guest-options.ts';
import type { FromGuest, ToGuest } from './guest-worker.ts';
import { GuestKit } from './kit.ts';

interface GuestWorker {
  readonly worker: Worker;
  /** The guest RAM of the machine restored in it; undefined until it is given one. */
  memoryMiB?: number;
  /** Settles once the machine was sent to it ahead of a container (prewarm). */
  prepared?: Promise<void>;
  /** The container it runs, once given one. */
  containerId?: string;
}

interface Process {
  readonly spec: ProcessSpec;
  readonly guest: GuestWorker;
  readonly startedAt: number;
  readonly relay: OutputRelay;
  readonly emit: (e: ProcessEvent) => void;
  pid: number;
}

export class X86Node {
  private readonly processes = new Map<string, Process>();
  private readonly containers = new Map<string, GuestWorker>();
  private idle: GuestWorker | undefined;
  private kit: GuestKit;

  constructor(kitUrl?: string) {
    this.kit = new GuestKit(kitUrl);
    this.idle = this.newWorker();
  }

  /** Where the guest kit is served (default `/guest/`). */
  setKitUrl(url: string): void {
    this.kit = new GuestKit(url);
    this.idle?.worker.terminate();
    this.idle = this.newWorker();
  }

  has(processId: string): boolean {
    return this.processes.has(processId);
  }

  hasContainer(containerId: string): boolean {
    return this.containers.has(containerId);
  }

  private async image(memoryMiB: number): Promise<MachineImage> {
    const [module, state] = await Promise.all([this.kit.module(), this.kit.state(memoryMiB)]);
    return { module, state, memoryMiB };
  }

  private newWorker(): GuestWorker {
    const worker = new Worker(new URL('./guest-worker.ts', import.meta.url), { type: 'module', name: 'x86-guest' });
    const g: GuestWorker = { worker };
    worker.onmessage = (e: MessageEvent<FromGuest>) => this.onMessage(g, e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      this.fail(g, `the x86 guest Worker failed: ${e.message || 'could not start'}`);
    };
    return g;
  }

  /** A guest Worker with the default machine restored, for the next container. */
  private prewarm(): void {
    const g = (this.idle ??= this.newWorker());
    if (g.memoryMiB !== undefined) return;
    g.memoryMiB = DEFAULT_MEMORY_MIB;
    g.prepared = this.image(DEFAULT_MEMORY_MIB).then((image) => g.worker.postMessage({ t: 'prepare', image } satisfies ToGuest));
    g.prepared.catch(() => {
      if (this.idle === g) this.idle = undefined;
      g.worker.terminate();
    });
  }

  async spawn(spec: ProcessSpec, onEvent: (e: ProcessEvent) => void): Promise<void> {
    if (this.processes.has(spec.processId)) throw new Error(`process ${spec.processId} is already running on this node`);
    const emit = (e: ProcessEvent) => void Promise.resolve(onEvent(e)).catch(() => undefined);
    const exec = spec.processId !== spec.containerId;
    let g: GuestWorker | undefined;
    if (exec) {
      g = this.containers.get(spec.containerId);
      if (!g) throw new Error(`container ${spec.containerId.slice(0, 12)} is not running on this node`);
    } else {
      const memoryMiB = await this.kit.memoryFor(spec.memoryLimit);
      if (this.idle && (this.idle.memoryMiB ?? memoryMiB) === memoryMiB) {
        g = this.idle;
        this.idle = undefined;
      } else {
        g = this.newWorker();
      }
      g.containerId = spec.containerId;
      this.containers.set(spec.containerId, g);
    }
    const p: Process = { spec, guest: g, startedAt: Date.now(), relay: new OutputRelay(emit), emit, pid: 0 };
    this.processes.set(spec.processId, p);
    if (exec) {
      // An exec shares its container's NIC: its spec's ports are not this process's to carry.
      const { network: _shared, ...execSpec } = spec;
      g.worker.postMessage({ t: 'exec', spec: execSpec } satisfies ToGuest);
      return;
    }
    try {
      // A prepared Worker already holds the machine: no need to copy the state again.
      if (g.prepared) await g.prepared;
      else g.memoryMiB = await this.kit.memoryFor(spec.memoryLimit);
      const ports = spec.network?.interfaces.map((i) => i.port) ?? [];
      g.worker.postMessage({ t: 'run', spec, ...(g.prepared ? {} : { image: await this.image(g.memoryMiB!) }) } satisfies ToGuest, ports);
    } catch (e) {
      this.end(p, { type: 'exit', code: 125, error: e instanceof Error ? e.message : String(e) });
      this.stop(g);
    }
  }

  private onMessage(g: GuestWorker, m: FromGuest): void {
    if (m.type === 'ended') {
      g.worker.terminate();
      if (g.containerId && this.containers.get(g.containerId) === g) this.containers.delete(g.containerId);
      return;
    }
    const p = this.processes.get(m.processId);
    if (!p || p.guest !== g) return;
    switch (m.type) {
      case 'started':
        p.pid = m.pid;
        p.emit({ type: 'started', pid: m.pid });
        // Restore the next machine now, not while this one was starting (they share the cores).
        this.prewarm();
        break;
      case 'stdout':
      case 'stderr':
        p.relay.push(m.type === 'stdout' ? 1 : 2, m.data);
        break;
      case 'exit':
        this.end(p, { type: 'exit', code: m.code, ...(m.error ? { error: m.error } : {}), ...(m.oomKilled ? { oomKilled: true } : {}) });
        break;
      case 'failed':
        this.end(p, { type: 'exit', code: 125, error: m.error });
        if (p.spec.processId === p.spec.containerId) this.stop(g);
        break;
    }
  }

  private end(p: Process, exit: ProcessEvent): void {
    if (!this.processes.delete(p.spec.processId)) return;
    p.relay.flush();
    p.emit(exit);
  }

  private stop(g: GuestWorker): void {
    g.worker.terminate();
    if (g.containerId && this.containers.get(g.containerId) === g) this.containers.delete(g.containerId);
  }

  /** The guest Worker itself failed: everything in it ends as killed. */
  private fail(g: GuestWorker, error: string): void {
    if (this.idle === g) this.idle = undefined;
    this.stop(g);
    for (const p of [...this.processes.values()]) if (p.guest === g) this.end(p, { type: 'exit', code: 137, error });
  }

  async writeStdin(processId: string, data: Uint8Array | null): Promise<void> {
    const p = this.processes.get(processId);
    p?.guest.worker.postMessage({ t: 'stdin', processId, data } satisfies ToGuest);
  }

  async resize(processId: string, columns: number, rows: number): Promise<void> {
    const p = this.processes.get(processId);
    p?.guest.worker.postMessage({ t: 'resize', processId, columns, rows } satisfies ToGuest);
  }

  /** Signals go to the process in the guest, which decides (PID 1 ignores what it does not handle). */
  async kill(processId: string, signal: number): Promise<void> {
    const p = this.processes.get(processId);
    p?.guest.worker.postMessage({ t: 'signal', processId, signal } satisfies ToGuest);
  }

  /** The container's machine stops (its main process and execs with it), until `unpause`. */
  pause(containerId: string): void {
    this.containers.get(containerId)?.worker.postMessage({ t: 'pause' } satisfies ToGuest);
  }

  unpause(containerId: string): void {
    this.containers.get(containerId)?.worker.postMessage({ t: 'unpause' } satisfies ToGuest);
  }

  list(): ProcessInfo[] {
    return [...this.processes.values()].map((p) => ({
      processId: p.spec.processId,
      containerId: p.spec.containerId,
      pid: p.pid,
      argv: p.spec.argv,
      startedAt: p.startedAt,
    }));
  }
}
