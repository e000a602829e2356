// What the engine (main thread) and the node Workers say to each other. A node runs each
// process in a Worker of its own, so a kill is immediate and a runaway process stalls nothing else.
import type { Digest } from './oci/digest.ts';

/** A mount of a volume or a tmpfs into a process's filesystem. */
export interface MountSpec {
  readonly kind: 'volume' | 'tmpfs';
  /** Volume name (its entries are the `fsEntries` with scope `v:<name>`); unused for tmpfs. */
  readonly source: string;
  /** Absolute path in the container. */
  readonly target: string;
  readonly readOnly: boolean;
}

/** One network interface of a container, as its node needs it. */
export interface NetworkInterfaceSpec {
  /** `eth0`, `eth1`, … in the order the container joined its networks. */
  readonly name: string;
  /** Docker's form, derived from the address: `02:42:ac:11:00:02` for 172.17.0.2. */
  readonly mac: string;
  /** IPv4 address with its prefix length: `172.17.0.2/16`. */
  readonly address: string;
  /** The network's gateway (the engine's side of the network): `172.17.0.1`. */
  readonly gateway: string;
  /**
   * The container's cable to its network's switch: every message is one Ethernet frame (a
   * Uint8Array, transferred), in both directions. Transferred with the spec.
   */
  readonly port: MessagePort;
}

/** A container's networking; absent on a spec means `--network none` (loopback only). */
export interface NetworkSpec {
  /** Empty for `--network none`; the first interface carries the default route. */
  readonly interfaces: readonly NetworkInterfaceSpec[];
  /** `/etc/hosts`, `/etc/resolv.conf`, as Docker writes them for this container. */
  readonly hosts: string;
  readonly resolvConf: string;
  /**
   * Container-side TCP ports a WASI program gets as preopened listening sockets (published or
   * exposed ports, as `wasmtime --tcplisten`), in this order, numbered after the preopened
   * directories.
   */
  readonly listenPorts: readonly number[];
  /**
   * The gateway's HTTP proxy (`http://172.18.0.1:3128`), the way out of the network: the process
   * gets it as http_proxy and https_proxy unless its environment sets them.
   */
  readonly proxy?: string;
}

/**
 * One end of a TCP-like byte stream between the engine and a process (a connection accepted on a
 * listening socket). Messages, both ways: a Uint8Array of data (transferred), or `null` for the
 * end of that direction (a shutdown of writing). A `StreamReset` ends both directions at once.
 */
export type StreamMessage = Uint8Array | null | StreamReset | StreamAck;
export interface StreamReset {
  readonly reset: string;
}
/**
 * Flow control: the receiver took `ack` more bytes of the sender's data. A sender keeps at most
 * STREAM_WINDOW bytes unacknowledged, so neither end buffers without bound.
 */
export interface StreamAck {
  readonly ack: number;
}
export const STREAM_WINDOW = 256 << 10;

export interface ProcessSpec {
  /** Unique per process: the container ID for its main process, an exec ID for `docker exec`. */
  readonly processId: string;
  readonly containerId: string;
  /** IndexedDB database the node opens itself (file data never crosses to the main thread). */
  readonly dbName: string;
  /** The image's snapshots, bottom first; the writable layer is `fsEntries` with scope `c:<containerId>`. */
  readonly chainIds: readonly Digest[];
  readonly mounts: readonly MountSpec[];
  /** argv[0] is the module's path in the container's filesystem. */
  readonly argv: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly uid: number;
  readonly gid: number;
  readonly hostname: string;
  readonly tty: boolean;
  /** Whether stdin stays open for `writeStdin`; otherwise reads see end of file. */
  readonly openStdin: boolean;
  /** Most bytes the process may use (module memory for WASI, guest RAM for x86); 0 = default. */
  readonly memoryLimit: number;
  /** How the process runs: a WASI module, or a linux/386 program in a v86 guest (default 'wasi'). */
  readonly platform?: 'wasi' | 'linux/386';
  /** The engine found the writable layer empty as it started the container: the node need not read it. */
  readonly emptyLayer?: boolean;
  /** Initial terminal size when `tty` is set (80×24 when absent). */
  readonly columns?: number;
  readonly rows?: number;
  /** The container's networks (execs get their container's); absent: `--network none`. */
  readonly network?: NetworkSpec;
}

export type ProcessEvent =
  | { readonly type: 'started'; readonly pid: number }
  | { readonly type: 'stdout' | 'stderr'; readonly data: Uint8Array }
  /**
   * The process ended. `code` is the exit status as Docker reports it: the module's exit code,
   * 128+signal when killed, 126 when the module cannot run (invalid module, unknown imports),
   * 127 when the entrypoint does not exist. `error` says why in words (a trap's message, OOM).
   */
  | { readonly type: 'exit'; readonly code: number; readonly error?: string; readonly oomKilled?: boolean };

/**
 * What the engine sends over a port straight to a node's reserved WASI process Worker
 * (NodeAgentApi.reserve). The Worker answers with the run's ProcessEvents, output transferred.
 */
export type DirectRequest =
  | { readonly t: 'run'; readonly spec: ProcessSpec }
  /** The engine took `bytes` more of the output, in `messages` events: the process's output credit. */
  | { readonly t: 'taken'; readonly bytes: number; readonly messages: number };

/** One row of `docker top`. */
export interface ProcessInfo {
  readonly processId: string;
  readonly containerId: string;
  readonly pid: number;
  readonly argv: readonly string[];
  readonly startedAt: number;
}

/** The node agent's API, exposed with comlink from node/node-agent.ts. */
export interface NodeAgentApi {
  /** Starts a process; events arrive through `onEvent` (a comlink proxy) until 'exit'. */
  spawn(spec: ProcessSpec, onEvent: (e: ProcessEvent) => void): Promise<void>;
  /**
   * Reserves the node's idle WASI process Worker for the caller's next run, and resolves to a
   * port straight to it (DirectRequest): the run, its output and the output credit then skip the
   * node's thread, two of the four hops to a first byte. The caller then calls `claim` with the
   * spec it ran, so that kills, stdin, pause and connections go on through the node. Exits the
   * node decides (a kill, a failed Worker) come through `onExit`. Resolves once the node has an
   * idle Worker; to 'unsupported' where runs cannot go direct (no JSPI), and to 'busy' while
   * another caller holds the reservation.
   */
  reserve(onExit: (processId: string, e: ProcessEvent & { readonly type: 'exit' }) => void): Promise<MessagePort | 'unsupported' | 'busy'>;
  /** The reserved Worker runs `spec` (sent over the reserved port); false if that Worker is gone. */
  claim(spec: ProcessSpec): Promise<boolean>;
  /** Data for the process's stdin; `null` closes it (end of file). */
  writeStdin(processId: string, data: Uint8Array | null): Promise<void>;
  resize(processId: string, columns: number, rows: number): Promise<void>;
  /**
   * Delivers a signal. A WASI module cannot catch signals: one whose default action terminates
   * ends it (exit 128+signal). An x86 guest process gets the real signal.
   */
  kill(processId: string, signal: number): Promise<void>;
  /**
   * `docker pause`: holds every process of the container (its main process and its execs). An
   * x86 guest's machine stops; a WASI process is held at its next syscall, so one computing
   * without syscalls runs on until it makes one. Rejects where a WASI process cannot be held
   * (no JSPI). A kill still ends a paused process.
   */
  pause(containerId: string): Promise<void>;
  unpause(containerId: string): Promise<void>;
  list(): Promise<ProcessInfo[]>;
  /**
   * Opens a connection to the process's listening socket on container port `port`: `stream` (a
   * transferred MessagePort carrying StreamMessages) is what the program's `sock_accept` returns.
   * Rejects with ConnectionRefusedError when nothing listens there.
   */
  connect(processId: string, port: number, stream: MessagePort): Promise<void>;
  /**
   * The writable layers or volumes (fs-entries scopes) that were removed: the node's process
   * Workers drop what they kept of them, so removed containers leave nothing in memory.
   */
  forget(scopes: readonly string[]): Promise<void>;
  /** For liveness checks by the manager. */
  ping(): Promise<number>;
  /**
   * Serves this API on `port` too: how a node in another tab is reached by the engine, through
   * the tabs' broker (engine/nodes/tab-nodes.ts).
   */
  serve(port: MessagePort): Promise<void>;
  /** Ms since the manager last pinged (Infinity before the first): a node tab whose engine went away joins again. */
  sincePing(): Promise<number>;
  /** Ends every process and the node itself (a node in another tab, which its engine took down). */
  retire(): Promise<void>;
  /**
   * `x86KitUrl`: where the x86 guest kit is served (an absolute URL; the node's default is
   * `/guest/` on its origin). `jspi: false` turns JSPI off. Resolves to whether JSPI is used.
   */
  configure(o: { readonly jspi?: boolean; readonly x86KitUrl?: string }): Promise<{ jspi: boolean }>;
}
