import type { Engine } from '../../engine/engine.ts';
import type { Harness } from './harness.ts';

declare global {
  /** The runtime test harness (test/browser/harness.ts), inside Chromium. */
  const T: Harness;
  /** The engine a test opened in the page. */
  var E: Engine;
}
