import type { NodeHarness } from './node-harness.ts';

declare global {
  /** Node Workers and processes for the WASI tests (test/browser/node-harness.ts), inside Chromium. */
  const N: NodeHarness;
}
