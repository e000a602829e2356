// What a fuzzed property is, shared by the unit tests (fixed seed, few runs) and bench/fuzz.ts
// (random seed, long campaigns): a generator of near-valid input and a check that either accepts
// the parser's result or only the typed errors the parser documents.
import type fc from 'fast-check';

export interface FuzzProperty {
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<unknown>;
  /** Throws (or rejects) when the parser's behaviour on `input` is a finding. */
  readonly check: (input: unknown) => void | Promise<void>;
  /** Runs of this property in CI; the heavier ones (a store per run) do fewer. */
  readonly ciRuns: number;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Longest one run may take. A parser that takes longer on a few KiB of input has gone
 * superlinear (or loops); generous, so a loaded 2-core machine does not flake.
 */
const RUN_LIMIT_MS = 2_000;

/**
 * A property over `arbitrary`. The pairing of generator and check is what makes the erased
 * `unknown` input safe: nothing else calls `check`.
 */
export function fuzzProperty<T>(name: string, arbitrary: fc.Arbitrary<T>, check: (input: T) => void | Promise<void>, ciRuns = 100): FuzzProperty {
  return {
    name,
    arbitrary,
    ciRuns,
    check: async (input) => {
      const start = performance.now();
      await check(input as T);
      const took = performance.now() - start;
      if (took > RUN_LIMIT_MS) throw new Error(`one run took ${Math.round(took)} ms (limit ${RUN_LIMIT_MS} ms): superlinear or stuck`);
    },
  };
}

/**
 * Runs `f`: its result, or `undefined` when it threw one of `allowed`. Any other exception
 * (a bare TypeError, RangeError, SyntaxError…) is rethrown as the finding it is.
 */
export async function typedOutcome<R>(allowed: readonly ErrorClass[], f: () => R | Promise<R>): Promise<R | undefined> {
  try {
    return await f();
  } catch (e) {
    if (allowed.some((c) => e instanceof c)) return undefined;
    const what = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    throw new Error(`untyped exception (expected one of ${allowed.map((c) => c.name).join(', ')}): ${what}`, { cause: e });
  }
}

/** Fails the run with `message` unless `ok`: the parser accepted input but broke its own contract. */
export function ensure(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

/** The seed CI runs with, so a failure there is a failure on every machine. */
export const CI_SEED = 42;

/** A value for a finding's message: short, and safe for the deeply nested values generators make. */
export function brief(v: unknown): string {
  let s: string;
  try {
    s = String(JSON.stringify(v));
  } catch {
    s = Array.isArray(v) ? '[…]' : '{…}';
  }
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}
