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
