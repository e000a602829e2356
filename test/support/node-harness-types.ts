// What the node harness page (test/browser/node-harness.ts) takes and gives back, as plain data:
// shared by the browser tests and bench/wasi.ts.
import type { MountSpec } from '../../core/protocol.ts';
import type { ProcessStats } from '../../node/wasi/process-messages.ts';

export interface SpecInput {
  readonly argv: readonly string[];
  readonly containerId?: string;
  readonly env?: readonly string[];
  readonly cwd?: string;
  readonly mounts?: readonly MountSpec[];
  readonly openStdin?: boolean;
  readonly tty?: boolean;
  readonly memoryLimit?: number;
  /** Container ports the process gets listening sockets for (spec.network.listenPorts). */
  readonly listenPorts?: readonly number[];
}

export interface Outcome {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
  readonly error?: string;
  readonly oomKilled?: boolean;
  readonly started: boolean;
  /** ms from spawn() to the first stdout/stderr bytes, to 'started', to 'exit'. */
  readonly firstOutputMs?: number;
  readonly startedMs?: number;
  readonly exitMs: number;
  readonly stats?: ProcessStats;
}

/** An x86 container's place on a harness network (x86-network.test.ts, bench/net-x86.ts). */
export interface X86NetInput {
  /** The harness network (N.createNetwork); absent: `--network none`, loopback only. */
  readonly network?: string;
  /** Its address on that network, `172.30.0.2`. */
  readonly ip?: string;
  /** Its hostname, also in its /etc/hosts. */
  readonly hostname: string;
}

/** An HTTP request the harness sends to a process's listening socket (engine/ports/http-over-stream.ts). */
export interface HttpInput {
  readonly port: number;
  readonly path: string;
  readonly method?: string;
  readonly body?: string;
}

/** What came back: the response, or the typed error (by name) that ended it. */
export interface HttpOutcome {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: readonly number[];
  /** Body pieces as they arrived: ms after the response head, and their size. */
  readonly pieces: readonly { readonly ms: number; readonly bytes: number }[];
  readonly error?: { readonly name: string; readonly message: string };
}
