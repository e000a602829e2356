// Blocking the process Worker for a while without spinning: Atomics.wait on a private shared
// WebAssembly memory. Chromium allows that even without cross-origin isolation (only sharing it
// with another thread needs isolation); where it is refused, the caller falls back.
let cell: Int32Array | null | undefined;

function waitCell(): Int32Array | null {
  if (cell === undefined) {
    try {
      cell = new Int32Array(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer);
      Atomics.wait(cell, 0, 1, 0);
    } catch {
      cell = null;
    }
  }
  return cell;
}

/** Blocks for `ms` milliseconds; false when this browser cannot block a Worker. */
export function blockFor(ms: number): boolean {
  const c = waitCell();
  if (!c) return false;
  if (ms > 0) Atomics.wait(c, 0, 0, ms);
  return true;
}
