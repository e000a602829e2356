// A stand-in for the node Worker in Node tests: the node agent's API over a MessageChannel, with
// "programs" instead of WASI modules, so the CLI's container commands can run end to end.
// argv[1] picks the program (argv[0] is the module path), as fixtures/wasi-tools' tools.c has
// them: echo, exit N, env, pwd, cat (stdin to stdout), prompt ("> ", "you said: LINE" until end of
// input, then "bye"), spin ("spinning", then until killed), sleep MS ("slept"); and for these tests
// err (to stderr), seq N, both (a line to each stream), id, hostname, tty, tick MS ("tick N" every
// MS ms, none while paused), unpausable (spins, and refuses a pause as a WASI process without JSPI
// does); and unstartable REASON, which never starts: it ends at once with 125 and REASON, as a
// guest that cannot boot does.
// Any process answers HTTP on the ports of its spec.network.listenPorts (see connect).
import * as Comlink from 'comlink';
import { ConnectionRefusedError } from '../../core/errors.ts';
import type { NodeAgentApi, ProcessEvent, ProcessInfo, ProcessSpec, StreamMessage } from '../../core/protocol.ts';
import type { NodeFactory } from '../../engine/nodes/node-manager.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Proc {
  readonly spec: ProcessSpec;
  readonly pid: number;
  readonly startedAt: number;
  readonly emit: (e: ProcessEvent) => void;
  stdin: string;
  stdinClosed: boolean;
  wake?: () => void;
  done: boolean;
  paused: boolean;
  readonly resizes: [number, number][];
}

/** Everything the fake nodes saw, for assertions. */
export interface FakeCluster {
  readonly spawned: ProcessSpec[];
  readonly signals: { processId: string; signal: number }[];
  readonly resizes: { processId: string; columns: number; rows: number }[];
  readonly stdin: { processId: string; data: string | null }[];
  /** `pause`/`unpause` requests, by container. */
  readonly pauses: { containerId: string; paused: boolean }[];
  /** Scopes each node was told to forget (NodeAgentApi.forget), node by node. */
  readonly forgotten: string[];
  /** What each node was configured with (NodeAgentApi.configure). */
  readonly configured: { jspi?: boolean; x86KitUrl?: string }[];
  /** Set: the nodes stop answering pings, as hung ones would. */
  hung?: boolean;
}

class FakeAgent implements NodeAgentApi {
  private readonly procs = new Map<string, Proc>();
  private nextPid = 1;
  private pingedAt: number | undefined;
  constructor(private readonly log: FakeCluster) {}

  async spawn(spec: ProcessSpec, onEvent: (e: ProcessEvent) => void): Promise<void> {
    this.log.spawned.push(spec);
    const proc: Proc = {
      spec,
      pid: this.nextPid++,
      startedAt: Date.now(),
      emit: (e) => void onEvent(e),
      stdin: '',
      stdinClosed: !spec.openStdin,
      done: false,
      paused: false,
      resizes: [],
    };
    this.procs.set(spec.processId, proc);
    if (spec.argv[1] === 'unstartable') return this.exit(proc, 125, spec.argv.slice(2).join(' '));
    proc.emit({ type: 'started', pid: proc.pid });
    void this.program(proc).then((code) => this.exit(proc, code));
  }

  private exit(p: Proc, code: number, error?: string): void {
    if (p.done) return;
    p.done = true;
    this.procs.delete(p.spec.processId);
    p.emit({ type: 'exit', code, ...(error ? { error } : {}) });
  }

  private out(p: Proc, s: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    if (!p.done) p.emit({ type: stream, data: enc.encode(s) });
  }

  /** The next line of stdin (without its newline), or what is left at end of file, or null. */
  private async readLine(p: Proc): Promise<string | null> {
    for (;;) {
      const nl = p.stdin.indexOf('\n');
      if (nl >= 0) {
        const line = p.stdin.slice(0, nl);
        p.stdin = p.stdin.slice(nl + 1);
        return line;
      }
      if (p.stdinClosed) {
        const rest = p.stdin;
        p.stdin = '';
        return rest === '' ? null : rest;
      }
      await new Promise<void>((r) => (p.wake = r));
    }
  }

  private forever(p: Proc): Promise<number> {
    return new Promise<number>((r) => {
      const t = setInterval(() => {
        if (p.done) {
          clearInterval(t);
          r(-1);
        }
      }, 5);
    });
  }

  private async program(p: Proc): Promise<number> {
    const [, cmd, ...args] = p.spec.argv;
    switch (cmd) {
      case 'echo':
        this.out(p, `${args.join(' ')}\n`);
        return 0;
      case 'err':
        this.out(p, `${args.join(' ')}\n`, 'stderr');
        return 0;
      case 'exit':
        return Number(args[0] ?? 0);
      case 'seq':
        this.out(p, Array.from({ length: Number(args[0] ?? 0) }, (_x, i) => `${i + 1}\n`).join(''));
        return 0;
      case 'both':
        this.out(p, 'to stdout\n');
        // Apart in time: the engine's log store numbers a container's first records racily.
        await new Promise((r) => setTimeout(r, 5));
        this.out(p, 'to stderr\n', 'stderr');
        return 0;
      case 'env':
        this.out(p, p.spec.env.map((e) => `${e}\n`).join(''));
        return 0;
      case 'pwd':
        this.out(p, `${p.spec.cwd}\n`);
        return 0;
      case 'id':
        this.out(p, `${p.spec.uid}:${p.spec.gid}\n`);
        return 0;
      case 'hostname':
        this.out(p, `${p.spec.hostname}\n`);
        return 0;
      case 'tty':
        this.out(p, `${p.spec.tty}\n`);
        return 0;
      case 'sleep':
        await new Promise((r) => setTimeout(r, Number(args[0] ?? 0)));
        this.out(p, 'slept\n');
        return 0;
      case 'cat':
        for (;;) {
          if (p.stdin) this.out(p, p.stdin);
          p.stdin = '';
          if (p.stdinClosed) return 0;
          await new Promise<void>((r) => (p.wake = r));
        }
      case 'prompt':
        for (;;) {
          this.out(p, '> ');
          const line = await this.readLine(p);
          if (line === null) break;
          this.out(p, `you said: ${line}\n`);
        }
        this.out(p, 'bye\n');
        return 0;
      case 'spin':
      case 'unpausable':
        this.out(p, 'spinning\n');
        return this.forever(p);
      case 'tick':
        for (let n = 1; !p.done; ) {
          await new Promise((r) => setTimeout(r, Number(args[0] ?? 10)));
          if (!p.paused) this.out(p, `tick ${n++}\n`);
        }
        return -1;
      default:
        this.out(p, 'usage: tools echo|…\n', 'stderr');
        return 2;
    }
  }

  async writeStdin(processId: string, data: Uint8Array | null): Promise<void> {
    this.log.stdin.push({ processId, data: data === null ? null : dec.decode(data) });
    const p = this.procs.get(processId);
    if (!p) return;
    if (data === null) p.stdinClosed = true;
    else p.stdin += dec.decode(data);
    p.wake?.();
  }

  async resize(processId: string, columns: number, rows: number): Promise<void> {
    this.log.resizes.push({ processId, columns, rows });
  }

  async kill(processId: string, signal: number): Promise<void> {
    this.log.signals.push({ processId, signal });
    const p = this.procs.get(processId);
    if (p) this.exit(p, 128 + signal);
  }

  async pause(containerId: string): Promise<void> {
    const procs = [...this.procs.values()].filter((p) => p.spec.containerId === containerId);
    if (procs.some((p) => p.spec.argv[1] === 'unpausable')) {
      throw new Error('a WASI process can be paused only where the browser has JSPI (WebAssembly.Suspending)');
    }
    this.log.pauses.push({ containerId, paused: true });
    for (const p of procs) p.paused = true;
  }

  async unpause(containerId: string): Promise<void> {
    this.log.pauses.push({ containerId, paused: false });
    for (const p of this.procs.values()) if (p.spec.containerId === containerId) p.paused = false;
  }

  async list(): Promise<ProcessInfo[]> {
    return [...this.procs.values()].map((p) => ({
      processId: p.spec.processId,
      containerId: p.spec.containerId,
      pid: p.pid,
      argv: p.spec.argv,
      startedAt: p.startedAt,
    }));
  }

  /**
   * A fake listener on every port of spec.network.listenPorts: it reads a request up to the end
   * of its head and answers `hello from HOSTNAME:PORT`, then closes.
   */
  async connect(processId: string, port: number, stream: MessagePort): Promise<void> {
    const p = this.procs.get(processId);
    if (!p?.spec.network?.listenPorts.includes(port)) {
      stream.close();
      throw new ConnectionRefusedError(`dial tcp ${p ? p.spec.hostname : processId}:${port}: connect: connection refused`);
    }
    let request = '';
    stream.onmessage = (e: MessageEvent<StreamMessage>) => {
      if (!(e.data instanceof Uint8Array)) return;
      stream.postMessage({ ack: e.data.length } satisfies StreamMessage);
      request += dec.decode(e.data);
      if (!request.includes('\r\n\r\n')) return;
      stream.postMessage(enc.encode(`HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello from ${p.spec.hostname}:${port}\n`));
      stream.postMessage(null satisfies StreamMessage);
      stream.onmessage = null;
    };
  }

  async forget(scopes: readonly string[]): Promise<void> {
    this.log.forgotten.push(...scopes);
  }

  /** Runs go through `spawn` only: a fake node has no process Workers to reserve. */
  async reserve(): Promise<'unsupported'> {
    return 'unsupported';
  }

  async claim(): Promise<boolean> {
    return false;
  }

  async ping(): Promise<number> {
    if (this.log.hung) await new Promise(() => undefined);
    this.pingedAt = Date.now();
    return Date.now();
  }

  async serve(port: MessagePort): Promise<void> {
    Comlink.expose(this, port);
  }

  async sincePing(): Promise<number> {
    return this.pingedAt === undefined ? Number.POSITIVE_INFINITY : Date.now() - this.pingedAt;
  }

  async retire(): Promise<void> {
    for (const p of [...this.procs.values()]) this.exit(p, 137);
  }

  /** A fake node runs no WASI, so it never uses JSPI. */
  async configure(o: { jspi?: boolean; x86KitUrl?: string }): Promise<{ jspi: boolean }> {
    this.log.configured.push(o);
    return { jspi: false };
  }
}

/** A node factory whose Workers are fake agents; `cluster` records what they were asked to do. */
export function fakeNodes(): { factory: NodeFactory; cluster: FakeCluster } {
  const cluster: FakeCluster = { spawned: [], signals: [], resizes: [], stdin: [], pauses: [], forgotten: [], configured: [] };
  const factory: NodeFactory = () => {
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(new FakeAgent(cluster), port2 as unknown as Comlink.Endpoint);
    return Object.assign(port1, {
      terminate() {
        port1.close();
        port2.close();
      },
    }) as unknown as Worker;
  };
  return { factory, cluster };
}
