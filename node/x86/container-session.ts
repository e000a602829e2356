// One x86 container: a guest restored from the kit's state (ahead of time when possible), its
// root filesystem served over 9p, its main process and its `exec`s. Runs in a guest Worker
// (guest-worker.ts), or directly in Node for tests.

import type { ProcessSpec } from '../../core/protocol.ts';
import type { Db } from '../../core/store/db.ts';
import { unsavedReason } from '../fs/persist.ts';
import { Guest } from './guest.ts';
import { GuestFs } from './guest-fs.ts';
import { P9Server } from './p9-server.ts';

export type SessionEvent =
  | { readonly type: 'started'; readonly processId: string; readonly pid: number }
  | { readonly type: 'stdout' | 'stderr'; readonly processId: string; readonly data: Uint8Array }
  | { readonly type: 'exit'; readonly processId: string; readonly code: number; readonly error?: string; readonly oomKilled?: boolean }
  /** The container is over (its main process ended): the Worker can go. */
  | { readonly type: 'ended' };

export interface MachineImage {
  readonly module: WebAssembly.Module;
  readonly state: ArrayBuffer;
  readonly memoryMiB: number;
}

/** How long a guest may take to end its processes after SIGKILL before it is stopped. */
const KILL_GRACE_MS = 2000;
const SYNC_TIMEOUT_MS = 5000;

export class ContainerSession {
  private guest: Promise<Guest> | undefined;
  private fs: GuestFs | undefined;
  private server: P9Server | undefined;
  private main: string | undefined;
  private readonly ids = new Map<string, number>();
  private ending: Promise<void> | undefined;

  constructor(private readonly emit: (e: SessionEvent) => void) {}

  /**
   * Restores the machine now, so a later `run` only mounts and spawns. It is then stopped until
   * that run: an idle restored guest still runs its kernel's idle loop (0.43 of a core here).
   */
  prepare(m: MachineImage): void {
    this.guest ??= Guest.start({
      state: m.state,
      memoryMiB: m.memoryMiB,
      wasm: async (imports) => (await WebAssembly.instantiate(m.module, imports)).exports,
      // The server exists once a container is given; the guest mounts only after that.
      handle9p: (req, reply) => this.server!.handle(req, reply),
    }).then(async (guest) => {
      await guest.pause();
      return guest;
    });
  }

  /** Starts the container's main process (`m` is needed unless `prepare` came first). */
  async run(db: Db, spec: ProcessSpec, m?: MachineImage): Promise<void> {
    if (m) this.prepare(m);
    if (!this.guest) throw new Error('no machine to run the container on');
    if ((spec.network?.interfaces.length ?? 0) > 1) throw new Error('an x86 container has one network interface: it can join one network');
    this.main = spec.processId;
    this.fs = await GuestFs.open(db, spec);
    this.server = new P9Server(this.fs);
    // The entrypoint's bytes come from IndexedDB while the machine restores.
    const preload = this.fs.preload(spec.argv[0]!);
    const guest = await this.guest;
    await Promise.all([preload, guest.resume()]);
    const nic = spec.network?.interfaces[0];
    if (nic) guest.plug(nic.port);
    await guest.init({ hostname: spec.hostname, memoryLimit: spec.memoryLimit, ...(spec.network ? { network: spec.network } : {}) });
    this.spawn(guest, spec);
  }

  /** `docker exec`: another process in the running guest. */
  async exec(spec: ProcessSpec): Promise<void> {
    const guest = this.main && !this.ending ? await this.guest : undefined;
    if (!guest?.alive) throw new Error(`container ${spec.containerId.slice(0, 12)} is not running`);
    this.spawn(guest, spec);
  }

  private spawn(guest: Guest, spec: ProcessSpec): void {
    const processId = spec.processId;
    const id = guest.spawn(
      { argv: spec.argv, env: spec.env, cwd: spec.cwd, uid: spec.uid, gid: spec.gid, tty: spec.tty, openStdin: spec.openStdin },
      {
        onStarted: (pid) => this.emit({ type: 'started', processId, pid }),
        onOutput: (stream, data) => this.emit({ type: stream, processId, data }),
        onExit: (code, oomKilled, error) => {
          this.ids.delete(processId);
          if (processId === this.main) void this.end(guest, code, oomKilled, error);
          else this.emit({ type: 'exit', processId, code, ...(error ? { error } : {}), ...(oomKilled ? { oomKilled } : {}) });
        },
      },
    );
    this.ids.set(processId, id);
  }

  /** The main process ended: persist what the guest wrote, then report, then stop the machine. */
  private end(guest: Guest, code: number, oomKilled: boolean, error?: string): Promise<void> {
    this.ending ??= (async () => {
      let failure = error;
      try {
        // A wedged guest must not keep the exit from being reported.
        if (guest.alive) await Promise.race([guest.sync(), new Promise((r) => setTimeout(r, SYNC_TIMEOUT_MS))]);
        await this.fs?.sync();
      } catch (e) {
        failure ??= `the container's files could not be saved: ${unsavedReason(e)}`;
      }
      this.emit({ type: 'exit', processId: this.main!, code, ...(failure ? { error: failure } : {}), ...(oomKilled ? { oomKilled } : {}) });
      for (const p of this.ids.keys()) this.emit({ type: 'exit', processId: p, code: 137 });
      this.ids.clear();
      await guest.destroy();
      this.emit({ type: 'ended' });
    })();
    return this.ending;
  }

  write(processId: string, data: Uint8Array | null): void {
    const id = this.ids.get(processId);
    if (id !== undefined) void this.guest?.then((g) => g.write(id, data));
  }

  resize(processId: string, columns: number, rows: number): void {
    const id = this.ids.get(processId);
    if (id !== undefined) void this.guest?.then((g) => g.resize(id, columns, rows));
  }

  async signal(processId: string, signal: number): Promise<void> {
    const id = this.ids.get(processId);
    const guest = await this.guest;
    if (id === undefined || !guest) return;
    guest.signal(id, signal);
    // A SIGKILL always ends the process; if the guest cannot say so, stop the machine.
    if (signal === 9 && processId === this.main) {
      setTimeout(() => {
        if (this.ids.has(processId)) void guest.destroy(137);
      }, KILL_GRACE_MS);
    }
  }

  /** `docker pause`: the whole machine stops (see Guest.pause); a machine that failed to start has nothing to hold. */
  async pause(): Promise<void> {
    await (await this.guest?.catch(() => undefined))?.pause();
  }

  async unpause(): Promise<void> {
    await (await this.guest?.catch(() => undefined))?.resume();
  }

  /** Stops at once (the node is going away). */
  async destroy(): Promise<void> {
    const guest = await this.guest?.catch(() => undefined);
    await guest?.destroy();
  }
}
