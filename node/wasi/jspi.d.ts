// JavaScript Promise Integration (Chromium 137+), not yet in TypeScript's lib.
declare namespace WebAssembly {
  /** Wraps an async import: the calling module suspends until its promise settles. */
  class Suspending {
    constructor(fn: (...args: never[]) => unknown);
  }
  /** Wraps an export so it may suspend; it then returns a promise. */
  function promising<F extends (...args: never[]) => unknown>(fn: F): (...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>>;
}
