// What the WASI browser tests share: a Chromium on the test harness page with node-harness.ts
// loaded, the engine open, and the WASI fixture images pulled into its database.
import { inject } from 'vitest';
import { type BrowserSession, launchChromium, openHarness } from '../support/chromium.ts';
import type { Outcome, SpecInput } from '../support/node-harness-types.ts';

export const TOOLS = `${inject('registry')}/fixtures/wasi-tools:latest`;
export const BAD = `${inject('registry')}/fixtures/wasi-bad:latest`;

export interface WasiSession extends BrowserSession {
  /** Loads the page again (the database stays) and starts these nodes (name → use JSPI). */
  reload(nodes: Record<string, boolean>): Promise<void>;
  run(node: string, s: SpecInput & { stdin?: string }, image?: string): Promise<Outcome>;
}

async function prepare(s: BrowserSession, db: string, nodes: Record<string, boolean>): Promise<void> {
  await openHarness(s.page, inject('baseUrl'), db);
  await s.page.addScriptTag({ type: 'module', url: '/test/browser/node-harness.ts' });
  await s.page.waitForFunction(() => (window as unknown as { N?: unknown }).N !== undefined);
  const modes = await s.page.evaluate(
    async ([images, nodes]) => {
      globalThis.E = await T.open({ nodes: 0 });
      for (const ref of images) await E.images.pull(ref);
      const out: Record<string, boolean> = {};
      for (const [name, jspi] of Object.entries(nodes)) out[name] = (await N.startNode(name, { jspi })).jspi;
      return out;
    },
    [[TOOLS, BAD], nodes] as const,
  );
  for (const [name, jspi] of Object.entries(nodes)) {
    if (modes[name] !== jspi) throw new Error(`node ${name}: wanted jspi=${jspi}, got ${modes[name]}`);
  }
}

/** A browser with nodes started (name → use JSPI), the fixture images pulled into `db`. */
export async function openWasiSession(db: string, nodes: Record<string, boolean>): Promise<WasiSession> {
  const s = await launchChromium();
  await prepare(s, db, nodes);
  return {
    ...s,
    reload: (n) => prepare(s, db, n),
    run: (node, spec, image = TOOLS) => s.page.evaluate(([node, image, spec]) => N.run(node, image, spec), [node, image, spec] as const),
  };
}
