// A node: a Worker that runs processes, each in a Worker of its own (a kill terminates it at
// once; a runaway loop stalls nothing else). Warm starts are fast because the node keeps
// compiled modules and one process Worker ready, with the database already open: the Worker of
// a process that exited by itself, or one started ahead.
import * as Comlink from 'comlink';
import { ConnectionRefusedError } from '../core/errors.ts';
import { OutputRelay } from '../core/output-relay.ts';
import type { NodeAgentApi, ProcessEvent, ProcessInfo, ProcessSpec } from '../core/protocol.ts';
import { StreamRelay } from './stream-relay.ts';
import { ModuleCache } from './wasi/module-cache.ts';
import { type FromProcess, OUTPUT_WINDOW, type ProcessStats, type ToProcess } from './wasi/process-messages.ts';
import type { X86Node } from './x86/x86-node.ts';

/** Signals whose default action is to do nothing (SIGCHLD, SIGCONT, SIGURG, SIGWINCH) and 0. */
const IGNORED_SIGNALS = new Set([0, 17, 18, 23, 28]);
const KEEP_STATS = 64;

interface Process {
  readonly spec: ProcessSpec;
  readonly pid: number;
  readonly startedAt: number;
  readonly worker: Worker;
  /** Its syscalls may suspend it (JSPI), so it can be paused. */
  readonly jspi: boolean;
  /**
   * Joins its output per task on the way to the engine. Absent for a direct run: the engine
   * reserved its Worker, which sends the output and its own exit to the engine itself.
   */
  readonly relay?: OutputRelay;
  /** Sends an event to the engine (output bytes are transferred, not copied). */
  readonly emit: (e: ProcessEvent) => void;
  /** Lets go of the engine's callback. */
  readonly release: () => void;
  /** Output bytes received from the process that the engine has not taken yet. */
  unacked: number;
  /** The process waits for output credit. */
  waiting: boolean;
  done: boolean;
  /** Connections to its listening sockets, relayed so that a kill can reset them. */
  readonly connections: Set<StreamRelay>;
}

export interface NodeOptions {
  /** Use JSPI where the browser has it (default); false forces the preload fallback. */
  readonly jspi?: boolean;
  /** Where the x86 guest kit is served (default `/guest/`). */
  readonly x86KitUrl?: string;
}

type ExitListener = (processId: string, e: ProcessEvent & { readonly type: 'exit' }) => void;

/** Lets go of a callback from the engine (a comlink proxy; a plain function in tests). */
const release = (f: unknown) => (f as Partial<Comlink.Remote<unknown>>)[Comlink.releaseProxy]?.();

const hasJspi = typeof WebAssembly.Suspending === 'function' && typeof WebAssembly.promising === 'function';

export class NodeAgent implements NodeAgentApi {
  private readonly processes = new Map<string, Process>();
  private readonly modules = new ModuleCache();
  private readonly finished = new Map<string, ProcessStats>();
  /** `stats` calls waiting for a process to end (a direct run's engine hears of its exit first). */
  private readonly ending = new Map<string, (() => void)[]>();
  private idle: Worker | undefined;
  private dbName: string | undefined;
  private nextPid = 1;
  private jspi = hasJspi;
  /** linux/386 processes; loaded on the first one, so WASI-only pages never load v86. */
  private x86: Promise<X86Node> | undefined;
  private x86KitUrl: string | undefined;
  private pingedAt: number | undefined;
  /** The idle Worker the engine reserved for its next run (`reserve`), until it `claim`s it. */
  private reservation: { readonly worker: Worker; readonly pid: number; readonly onExit: ExitListener; readonly early: FromProcess[] } | undefined;
  /** A reservation waiting for an idle Worker. */
  private wanted: { readonly onExit: ExitListener; readonly resolve: (port: MessagePort) => void } | undefined;

  constructor() {
    this.idle = this.newWorker();
  }

  private newWorker(): Worker {
    const w = new Worker(new URL('./wasi/process-worker.ts', import.meta.url), { type: 'module', name: 'process' });
    if (this.dbName) this.send(w, { t: 'prewarm', dbName: this.dbName });
    return w;
  }

  private send(w: Worker, m: ToProcess, transfer: Transferable[] = []): void {
    w.postMessage(m, transfer);
  }

  async configure(o: NodeOptions): Promise<{ jspi: boolean }> {
    if (o.jspi !== undefined) this.jspi = o.jspi && hasJspi;
    // The reserved Worker was set up for JSPI: without it, runs go through `spawn`.
    if (!this.jspi) this.dropReservation();
    if (o.x86KitUrl !== undefined) {
      this.x86KitUrl = o.x86KitUrl;
      if (this.x86) (await this.x86).setKitUrl(o.x86KitUrl);
    }
    return { jspi: this.jspi };
  }

  private x86Node(): Promise<X86Node> {
    return (this.x86 ??= import('./x86/x86-node.ts').then((m) => new m.X86Node(this.x86KitUrl)));
  }

  /** The x86 node if it runs this process (the guest handles its signals, stdin and size). */
  private async x86For(processId: string): Promise<X86Node | undefined> {
    const x = this.x86 && (await this.x86);
    return x?.has(processId) ? x : undefined;
  }

  async spawn(spec: ProcessSpec, onEvent: (e: ProcessEvent) => void): Promise<void> {
    if (this.processes.has(spec.processId)) throw new Error(`process ${spec.processId} is already running on this node`);
    if (spec.platform === 'linux/386') return (await this.x86Node()).spawn(spec, onEvent);
    this.dbName = spec.dbName;
    const worker = this.idle ?? this.newWorker();
    this.idle = undefined;
    const emit = (e: ProcessEvent) => {
      const output = e.type === 'stdout' || e.type === 'stderr';
      const bytes = output ? e.data.length : 0;
      const taken = Promise.resolve(onEvent(Comlink.transfer(e, output ? [e.data.buffer] : []))).catch(() => undefined);
      if (bytes) {
        void taken.then(() => {
          p.unacked -= bytes;
          this.grant(p);
        });
      }
    };
    const relay = new OutputRelay(emit);
    const p: Process = {
      spec,
      pid: this.nextPid++,
      startedAt: Date.now(),
      worker,
      jspi: this.jspi,
      relay,
      emit,
      release: () => release(onEvent),
      unacked: 0,
      waiting: false,
      done: false,
      connections: new Set(),
    };
    this.watch(p);
    this.send(worker, { t: 'run', spec, jspi: p.jspi, modules: this.modules.all() });
  }

  private watch(p: Process): void {
    this.processes.set(p.spec.processId, p);
    p.worker.onmessage = (e: MessageEvent<FromProcess>) => this.onMessage(p, e.data);
    p.worker.onerror = (e) => {
      e.preventDefault();
      this.end(p, { type: 'exit', code: 125, error: `process worker failed: ${e.message || 'could not start'}` });
    };
  }

  async reserve(onExit: ExitListener): Promise<MessagePort | 'unsupported' | 'busy'> {
    if (!this.jspi || this.wanted || this.reservation) {
      release(onExit);
      return this.jspi ? 'busy' : 'unsupported';
    }
    const port = await new Promise<MessagePort>((resolve) => {
      this.wanted = { onExit, resolve };
      this.offerReservation();
    });
    return Comlink.transfer(port, [port]);
  }

  /** Gives a waiting reservation the idle Worker, if there is one. */
  private offerReservation(): void {
    const want = this.wanted;
    const worker = this.idle;
    if (!want || !worker || !this.jspi) return;
    this.wanted = undefined;
    this.idle = undefined;
    const r = { worker, pid: this.nextPid++, onExit: want.onExit, early: [] as FromProcess[] };
    this.reservation = r;
    // The run comes from the engine straight to the Worker, so it may even end before `claim`.
    worker.onmessage = (e: MessageEvent<FromProcess>) => {
      if (e.data.t === 'module') this.modules.set(e.data.key, e.data.module);
      else r.early.push(e.data);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      if (this.reservation === r) this.dropReservation();
    };
    const { port1, port2 } = new MessageChannel();
    this.send(worker, { t: 'direct', port: port1, pid: r.pid, jspi: this.jspi, modules: this.modules.all() }, [port1]);
    want.resolve(port2);
  }

  /** Ends an unclaimed reservation: the engine's run on its port then finds no claim to make. */
  private dropReservation(): void {
    const r = this.reservation;
    if (!r) return;
    this.reservation = undefined;
    r.worker.terminate();
    release(r.onExit);
    this.idle ??= this.newWorker();
  }

  async claim(spec: ProcessSpec): Promise<boolean> {
    const r = this.reservation;
    if (!r) return false;
    this.reservation = undefined;
    this.dbName = spec.dbName;
    const p: Process = {
      spec,
      pid: r.pid,
      startedAt: Date.now(),
      worker: r.worker,
      jspi: this.jspi,
      emit: (e) => {
        if (e.type === 'exit') void Promise.resolve(r.onExit(spec.processId, e)).catch(() => undefined);
      },
      release: () => release(r.onExit),
      unacked: 0,
      waiting: false,
      done: false,
      connections: new Set(),
    };
    this.watch(p);
    for (const m of r.early) this.onMessage(p, m);
    return true;
  }

  private onMessage(p: Process, m: FromProcess): void {
    if (p.done) return;
    switch (m.t) {
      case 'started':
        p.emit({ type: 'started', pid: p.pid });
        break;
      case 'out':
        p.unacked += m.data.length;
        p.relay?.push(m.stream, m.data);
        break;
      case 'credit':
        p.waiting = true;
        this.grant(p);
        break;
      case 'module':
        this.modules.set(m.key, m.module);
        break;
      case 'exit':
        if (m.stats) this.keepStats(p.spec.processId, m.stats);
        // The process closed its connections before it said so: their ends are on the way.
        for (const c of p.connections) c.processGone(undefined);
        p.connections.clear();
        this.end(
          p,
          { type: 'exit', code: m.code, ...(m.error ? { error: m.error } : {}), ...(m.oomKilled ? { oomKilled: true } : {}) },
          !m.oomKilled,
          !p.relay,
        );
        break;
    }
  }

  /** Lets a waiting process write on once the engine has taken half a window of its output. */
  private grant(p: Process): void {
    if (!p.waiting || p.done || p.unacked > OUTPUT_WINDOW / 2) return;
    p.waiting = false;
    this.send(p.worker, { t: 'credit' });
  }

  /**
   * Ends a process: output first, then its exit, unless the engine has it already (`told`: a
   * direct run's Worker sent it). A Worker whose process exited by itself runs the next one
   * (`reuse`); a killed or failed one goes.
   */
  private end(p: Process, exit: ProcessEvent, reuse = false, told = false): void {
    if (p.done) return;
    p.done = true;
    p.worker.onmessage = null;
    p.worker.onerror = null;
    // One spare Worker per node: the idle one, or the one the engine holds reserved.
    if (reuse && !this.idle && !this.reservation) this.idle = p.worker;
    else p.worker.terminate();
    // Left only when the process could not close them itself: killed, or its Worker failed.
    for (const c of p.connections) c.processGone('the process was killed');
    p.connections.clear();
    // Otherwise the next process's Worker boots now: booting while a process runs would take CPU
    // from it (on two cores a compute-bound program lost ~20%).
    if (!this.reservation) this.idle ??= this.newWorker();
    this.offerReservation();
    this.processes.delete(p.spec.processId);
    for (const w of this.ending.get(p.spec.processId) ?? []) w();
    this.ending.delete(p.spec.processId);
    p.relay?.flush();
    if (!told) p.emit(exit);
    p.release();
  }

  private keepStats(id: string, s: ProcessStats): void {
    this.finished.set(id, s);
    for (const old of this.finished.keys()) {
      if (this.finished.size <= KEEP_STATS) break;
      this.finished.delete(old);
    }
  }

  async writeStdin(processId: string, data: Uint8Array | null): Promise<void> {
    const x = await this.x86For(processId);
    if (x) return x.writeStdin(processId, data);
    const p = this.processes.get(processId);
    if (p) this.send(p.worker, { t: 'stdin', data }, data ? [data.buffer] : []);
  }

  /** WASI has no terminal size; an x86 guest's terminal has one. */
  async resize(processId: string, columns: number, rows: number): Promise<void> {
    await (await this.x86For(processId))?.resize(processId, columns, rows);
  }

  async kill(processId: string, signal: number): Promise<void> {
    const x = await this.x86For(processId);
    if (x) return x.kill(processId, signal);
    const p = this.processes.get(processId);
    if (!p || IGNORED_SIGNALS.has(signal)) return;
    this.end(p, { type: 'exit', code: 128 + signal });
  }

  async pause(containerId: string): Promise<void> {
    const x = this.x86 && (await this.x86);
    if (x?.hasContainer(containerId)) return x.pause(containerId);
    const procs = this.processesOf(containerId);
    if (procs.some((p) => !p.jspi)) throw new Error('a WASI process can be paused only where the browser has JSPI (WebAssembly.Suspending)');
    for (const p of procs) this.send(p.worker, { t: 'pause' });
  }

  async unpause(containerId: string): Promise<void> {
    const x = this.x86 && (await this.x86);
    if (x?.hasContainer(containerId)) return x.unpause(containerId);
    for (const p of this.processesOf(containerId)) this.send(p.worker, { t: 'unpause' });
  }

  /** A container's main process and its execs. */
  private processesOf(containerId: string): Process[] {
    return [...this.processes.values()].filter((p) => p.spec.containerId === containerId);
  }

  async list(): Promise<ProcessInfo[]> {
    const x86 = this.x86 ? (await this.x86).list() : [];
    return [
      ...x86,
      ...[...this.processes.values()].map((p) => ({
        processId: p.spec.processId,
        containerId: p.spec.containerId,
        pid: p.pid,
        argv: p.spec.argv,
        startedAt: p.startedAt,
      })),
    ];
  }

  async connect(processId: string, port: number, stream: MessagePort): Promise<void> {
    const p = this.processes.get(processId);
    if (!p) {
      stream.close();
      if (await this.x86For(processId)) {
        throw new ConnectionRefusedError(
          `connect to port ${port}/tcp: connection refused (x86 containers take connections through their network interface, not from the engine yet)`,
        );
      }
      throw new ConnectionRefusedError(`connect to port ${port}/tcp: connection refused (process ${processId} is not running)`);
    }
    const address = p.spec.network?.interfaces[0]?.address.split('/')[0] ?? '127.0.0.1';
    if (!p.spec.network?.listenPorts.includes(port)) {
      stream.close();
      throw new ConnectionRefusedError(`dial tcp ${address}:${port}: connect: connection refused`);
    }
    const { port1, port2 } = new MessageChannel();
    const relay = new StreamRelay(stream, port1, () => p.connections.delete(relay));
    p.connections.add(relay);
    this.send(p.worker, { t: 'connect', port, stream: port2 }, [port2]);
  }

  async forget(scopes: readonly string[]): Promise<void> {
    const workers = new Set([this.idle, this.reservation?.worker, ...[...this.processes.values()].map((p) => p.worker)].filter((w) => w !== undefined));
    for (const w of workers) this.send(w, { t: 'forget', scopes });
  }

  async ping(): Promise<number> {
    this.pingedAt = performance.now();
    return Date.now();
  }

  async serve(port: MessagePort): Promise<void> {
    Comlink.expose(this, port);
  }

  async sincePing(): Promise<number> {
    return this.pingedAt === undefined ? Number.POSITIVE_INFINITY : performance.now() - this.pingedAt;
  }

  /** Closing the node's Worker ends the process and guest Workers it started. */
  async retire(): Promise<void> {
    setTimeout(() => self.close());
  }

  /** How a process went (reads, timings); kept for the last few that ended. */
  async stats(processId: string): Promise<ProcessStats | undefined> {
    if (this.processes.has(processId)) {
      await new Promise<void>((r) => this.ending.set(processId, [...(this.ending.get(processId) ?? []), r]));
    }
    return this.finished.get(processId);
  }
}

Comlink.expose(new NodeAgent());
