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
  /** Data for the process's stdin; `null` closes it (end of file). */
  writeStdin(processId: string, data: Uint8Array | null): Promise<void>;
  resize(processId: string, columns: number, rows: number): Promise<void>;
  /**
   * Delivers a signal. A WASI module cannot catch signals: one whose default action terminates
   * ends it (exit 128+signal). An x86 guest process gets the real signal.
   */
  kill(processId: string, signal: number): Promise<void>;
  list(): Promise<ProcessInfo[]>;
  /** For liveness checks by the manager. */
  ping(): Promise<number>;
}
