// How a process ends, as Docker reports it: the module's status, 128+signal, 134 for a trap,
// 126 when the module cannot run, 127 when the entrypoint does not exist, 137 for OOM.
import { ProcExit } from './preview1.ts';

export interface Exit {
  readonly code: number;
  readonly error?: string;
  readonly oomKilled?: boolean;
}

/** A failure before the module runs, with the status Docker gives it. */
export class CannotRun extends Error {
  constructor(readonly exit: Exit) {
    super(exit.error);
  }
}

export function exitOf(e: unknown): Exit {
  if (e instanceof CannotRun) return e.exit;
  if (e instanceof ProcExit) return { code: e.code & 255, ...(e.signal ? { error: e.message } : {}) };
  // A trap, or the module's stack overflowing (a RangeError from the engine).
  if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) return { code: 134, error: `wasm trap: ${e.message}` };
  return { code: 125, error: `internal error: ${e instanceof Error ? e.message : String(e)}` };
}

/**
 * A module that failed with (almost) all the memory it may have was stopped by its limit: what
 * the kernel's OOM killer would have done (a failed memory.grow itself cannot be observed).
 */
export function oomExit(exit: Exit, memoryBytes: number, limit: number): Exit {
  if (exit.code === 0 || memoryBytes + Math.max(limit / 8, 2 << 20) <= limit) return exit;
  return { code: 137, oomKilled: true, error: `out of memory: the memory limit of ${limit} bytes was reached${exit.error ? ` (${exit.error})` : ''}` };
}
