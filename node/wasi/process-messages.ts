// What a node agent and its process Workers say to each other (internal to a node).

import type { ProcessSpec } from '../../core/protocol.ts';
import type { ReadStats } from '../fs/content-loader.ts';

/** How one process went, for `stats` and benchmarks. Times in ms from the `run` message. */
export interface ProcessStats {
  readonly jspi: boolean;
  /** The module came compiled from the node's cache. */
  readonly cachedModule: boolean;
  /** Processes its Worker has run, this one included (a Worker runs the next process after a clean exit). */
  readonly workerRuns: number;
  readonly reads: ReadStats;
  /** File contents loaded ahead because JSPI is off. */
  readonly preloadedBytes: number;
  /** IndexedDB reads made to build the filesystem view (snapshots not kept, scope indexes). */
  readonly viewReads: number;
  /** Scope indexes taken from what the Worker kept (their stamps still stored), not read again. */
  readonly viewKept: number;
  /** Scope indexes the Worker held when this process started (its own included, if kept). */
  readonly keptIndexes: number;
  /** Syscalls that suspended the module to wait (JSPI): for file data, stdin, a commit, a sleep. */
  readonly waits: number;
  readonly fsReady: number;
  readonly moduleReady: number;
  readonly started: number;
  readonly firstOutput?: number;
  readonly exited: number;
}

export type ToProcess =
  /** Sent to an idle Worker so it opens the database before it is needed. */
  | { readonly t: 'prewarm'; readonly dbName: string }
  | {
      readonly t: 'run';
      readonly spec: ProcessSpec;
      readonly jspi: boolean;
      /** Compiled modules the node holds, by `moduleKey`. */
      readonly modules: ReadonlyMap<string, WebAssembly.Module>;
    }
  /**
   * Reserves this idle Worker for one run that comes over `port` from the engine
   * (DirectRequest); until it comes, what the node sends for that run waits.
   */
  | {
      readonly t: 'direct';
      readonly port: MessagePort;
      /** The run's pid, which the node gives out. */
      readonly pid: number;
      readonly jspi: boolean;
      readonly modules: ReadonlyMap<string, WebAssembly.Module>;
    }
  | { readonly t: 'stdin'; readonly data: Uint8Array | null }
  /** Scopes removed from the store: drop their kept indexes. */
  | { readonly t: 'forget'; readonly scopes: readonly string[] }
  /** A connection to the process's listening socket on container port `port` (stream transferred). */
  | { readonly t: 'connect'; readonly port: number; readonly stream: MessagePort }
  /** The engine has taken enough of the output: the process may write on (see OUTPUT_WINDOW). */
  | { readonly t: 'credit' }
  /** `docker pause`: hold the process at its next syscall (JSPI only), until `unpause`. */
  | { readonly t: 'pause' }
  | { readonly t: 'unpause' };

export type FromProcess =
  | { readonly t: 'started' }
  | { readonly t: 'out'; readonly stream: 1 | 2; readonly data: Uint8Array }
  /** The process wrote OUTPUT_WINDOW bytes and waits for `credit` (JSPI only). */
  | { readonly t: 'credit' }
  /** A module compiled for this process, for the node to keep. */
  | { readonly t: 'module'; readonly key: string; readonly module: WebAssembly.Module }
  | { readonly t: 'exit'; readonly code: number; readonly error?: string; readonly oomKilled?: boolean; readonly stats?: ProcessStats };

/**
 * Output flow control: a process may have this many bytes of stdout/stderr on their way before
 * it waits for the engine to take them, so a process writing without end cannot fill the tab's
 * memory.
 */
export const OUTPUT_WINDOW = 1 << 20;

/** Cache key of a compiled module: its content and the memory cap written into it. */
export function moduleKey(sha: string, maxPages: number): string {
  return `${sha}:${maxPages}`;
}
