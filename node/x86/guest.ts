// One emulated x86 machine restored from the guest kit's saved state, and the host end of its
// shim (scripts/guest-kit/shim.c): init, spawn, stdin with flow control, signals, resize, sync.
import { V86 } from 'v86';
import type { NetworkSpec } from '../../core/protocol.ts';
import { encodeFrame, type Frame, fields, listenToShim } from './channel.ts';
import { machineOptions } from './guest-options.ts';

/** Stdin bytes in flight to one process: the guest's serial receive buffer must never overflow. */
const STDIN_CREDIT = 8 << 10;
const dec = new TextDecoder();

/** The part of v86's device bus a NIC's frames take into the guest (not in its typings). */
interface NicBus {
  send(event: 'net0-receive', frame: Uint8Array): void;
}

export interface GuestProcess {
  onStarted(pid: number): void;
  onOutput(stream: 'stdout' | 'stderr', data: Uint8Array): void;
  onExit(code: number, oomKilled: boolean, error?: string): void;
}

export interface SpawnRequest {
  readonly argv: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly uid: number;
  readonly gid: number;
  readonly tty: boolean;
  readonly openStdin: boolean;
  readonly columns?: number;
  readonly rows?: number;
}

export interface GuestStart {
  /** The state saved by scripts/guest-kit/boot.ts, uncompressed (restores fastest). */
  readonly state: ArrayBuffer;
  readonly memoryMiB: number;
  /** Instantiates v86's wasm (a compiled module can be reused by every guest of a Worker). */
  readonly wasm: (imports: WebAssembly.Imports) => Promise<WebAssembly.Exports>;
  readonly handle9p: (req: Uint8Array, reply: (r: Uint8Array) => void) => void;
}

interface Running {
  readonly handler: GuestProcess;
  /** Stdin queued here until the guest returns credit. */
  readonly queue: (Uint8Array | null)[];
  inFlight: number;
}

export class Guest {
  private readonly procs = new Map<number, Running>();
  private readonly replies = new Map<number, (f: Frame) => void>();
  private nextId = 1;
  private destroyed = false;
  /** Stops and runs of the machine, one after the other (a run during a stop would be lost). */
  private transition: Promise<void> = Promise.resolve();
  private port: MessagePort | undefined;
  /** The kernel console (ttyS0), kept short, for error messages. */
  console = '';

  private constructor(private readonly emulator: V86) {
    listenToShim(emulator, (f) => this.onFrame(f));
    emulator.add_listener('serial0-output-byte', (b) => {
      this.console = (this.console + String.fromCharCode(b)).slice(-4000);
    });
  }

  /** Restores the saved machine; resolves once it runs. */
  static async start(o: GuestStart): Promise<Guest> {
    const emulator = new V86({
      ...machineOptions(o.memoryMiB),
      wasm_fn: o.wasm,
      initial_state: { buffer: o.state },
      filesystem: { handle9p: o.handle9p },
    });
    const guest = new Guest(emulator);
    await new Promise<void>((resolve) => emulator.add_listener('emulator-started', () => resolve()));
    return guest;
  }

  private send(type: string, id: number, payload?: Uint8Array): void {
    if (!this.destroyed) this.emulator.serial_send_bytes(1, encodeFrame(type, id, payload));
  }

  private request(type: string, payload?: Uint8Array): Promise<Frame> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.replies.set(id, resolve);
      this.send(type, id, payload);
    });
  }

  private onFrame(f: Frame): void {
    const reply = this.replies.get(f.id);
    if (reply && (f.type === 'R' || f.type === 'Y' || (f.type === 'X' && !this.procs.has(f.id)))) {
      this.replies.delete(f.id);
      reply(f);
      return;
    }
    const p = this.procs.get(f.id);
    switch (f.type) {
      case 'P':
        p?.handler.onStarted(Number(dec.decode(f.payload)));
        break;
      case 'O':
      case 'E':
        p?.handler.onOutput(f.type === 'O' ? 'stdout' : 'stderr', f.payload);
        break;
      case 'A':
        if (p) {
          p.inFlight -= Number(dec.decode(f.payload));
          this.pumpStdin(f.id, p);
        }
        break;
      case 'X': {
        if (!p) break;
        this.procs.delete(f.id);
        const [code, ...rest] = dec.decode(f.payload).split(' ');
        const words = rest.join(' ');
        p.handler.onExit(Number(code), words === 'oom', words && words !== 'oom' ? words : undefined);
        break;
      }
      case 'L':
        console.warn(`[x86 shim] ${dec.decode(f.payload)}`);
        break;
    }
  }

  /**
   * Connects the guest's NIC to a switch port: each Ethernet frame the guest sends goes out as
   * one message (its buffer transferred: v86 makes a fresh one per frame), each message in is a
   * frame for the guest. Until then the NIC is unplugged: what the guest sends is dropped.
   */
  plug(port: MessagePort): void {
    const bus = (this.emulator as unknown as { bus: NicBus }).bus;
    this.emulator.add_listener('net0-send', (frame) => {
      if (!this.destroyed) port.postMessage(frame, [frame.buffer as ArrayBuffer]);
    });
    port.onmessage = (e: MessageEvent<Uint8Array>) => {
      if (!this.destroyed) bus.send('net0-receive', e.data);
    };
    this.port = port;
  }

  /**
   * Sets the clock, hostname and entropy, mounts the root over 9p, brings up eth0 (with
   * the first interface of `network`: the guest has one NIC), sets the memory limit.
   */
  async init(o: { hostname: string; memoryLimit: number; network?: NetworkSpec }): Promise<void> {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const nic = o.network?.interfaces[0];
    const f = await this.request(
      'I',
      fields([
        ['time_ms', Date.now()],
        ['hostname', o.hostname],
        ['msize', 512000],
        ['mem', o.memoryLimit],
        ['seed', [...seed].map((b) => b.toString(16).padStart(2, '0')).join('')],
        ...(nic
          ? ([
              ['mac', nic.mac],
              ['addr', nic.address],
              ['gw', nic.gateway],
            ] as const)
          : []),
      ]),
    );
    // The shim answers a failed set-up as an exit: "125 mount 9p: <strerror>".
    if (f.type !== 'R') throw new Error(`the guest could not set up the container: ${dec.decode(f.payload).replace(/^\d+ /, '')}`);
  }

  /** Starts a process; returns its channel id (for stdin, signals, resize). */
  spawn(r: SpawnRequest, handler: GuestProcess): number {
    const id = this.nextId++;
    this.procs.set(id, { handler, queue: [], inFlight: 0 });
    this.send(
      'S',
      id,
      fields([
        ['tty', r.tty ? 1 : 0],
        ['stdin', r.openStdin ? 1 : 0],
        ['uid', r.uid],
        ['gid', r.gid],
        ['cols', r.columns ?? 80],
        ['rows', r.rows ?? 24],
        ['cwd', r.cwd],
        ...r.argv.map((a) => ['a', a] as const),
        ...r.env.map((e) => ['e', e] as const),
      ]),
    );
    return id;
  }

  /** Stdin for a process; `null` is end of file. */
  write(id: number, data: Uint8Array | null): void {
    const p = this.procs.get(id);
    if (!p) return;
    if (data === null) p.queue.push(null);
    else for (let at = 0; at < data.length; at += STDIN_CREDIT) p.queue.push(data.subarray(at, at + STDIN_CREDIT));
    this.pumpStdin(id, p);
  }

  private pumpStdin(id: number, p: Running): void {
    while (p.queue.length) {
      const next = p.queue[0]!;
      if (next !== null && p.inFlight + next.length > STDIN_CREDIT) return;
      p.queue.shift();
      if (next === null) {
        this.send('D', id);
        continue;
      }
      p.inFlight += next.length;
      this.send('D', id, next);
    }
  }

  signal(id: number, signal: number): void {
    if (this.procs.has(id)) this.send('K', id, new TextEncoder().encode(String(signal)));
  }

  resize(id: number, columns: number, rows: number): void {
    if (this.procs.has(id)) this.send('W', id, new TextEncoder().encode(`${columns} ${rows}`));
  }

  /** Writes the guest's dirty pages back over 9p. */
  async sync(): Promise<void> {
    await this.request('Y');
  }

  /**
   * `docker pause`: the emulator stops, so the guest takes no CPU and nothing in it runs, as
   * under Docker's freezer. Its clock (the TSC, from the host's) goes on: after `resume` the
   * guest's time is right and a sleep that ended meanwhile ends at once. What arrives meanwhile
   * (stdin, signals, frames) waits in the devices.
   */
  pause(): Promise<void> {
    return (this.transition = this.transition.then(() => (this.destroyed ? undefined : this.emulator.stop())));
  }

  resume(): Promise<void> {
    return (this.transition = this.transition.then(() => (this.destroyed ? undefined : this.emulator.run())));
  }

  get alive(): boolean {
    return !this.destroyed;
  }

  /** Stops the machine; processes still running end with `code` (137: killed). */
  async destroy(code = 137): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const [, p] of this.procs) p.handler.onExit(code, false);
    this.procs.clear();
    for (const r of this.replies.values()) r({ type: 'X', id: 0, payload: new TextEncoder().encode('137 the machine stopped') });
    this.replies.clear();
    this.port?.close();
    await this.emulator.destroy();
  }
}
