// The demo page as the cluster benches drive it: Vite serving it, Chromium on it, the fixtures'
// registry (read-only) when a bench pulls, and `docker` that throws on a non-zero exit.
import path from 'node:path';
import { type BrowserSession, launchChromium } from '../test/support/chromium.ts';
import { fixturesDir, startRegistry } from '../test/support/registry.ts';
import { startViteServer } from '../test/support/vite-server.ts';

export interface DemoPage {
  readonly s: BrowserSession;
  /** The fixtures' registry host (`127.0.0.1:PORT`), when opened with one. */
  readonly registryHost: string;
  docker(cmd: string): Promise<string>;
  close(): Promise<void>;
}

/** Opens the demo on database `db` (no proxy) and waits for its engine. */
export async function openDemoPage(db: string, opts: { registry?: boolean } = {}): Promise<DemoPage> {
  const reg = opts.registry ? await startRegistry({ dataDir: path.join(fixturesDir(), 'registry-data'), readOnly: true }) : undefined;
  const vite = await startViteServer();
  const s = await launchChromium();
  const close = async () => {
    await s.close();
    await vite.close();
    await reg?.stop();
  };
  try {
    await s.page.goto(`${vite.baseUrl}/demo/index.html?db=${db}&noproxy`);
    await s.page.evaluate(() => window.engineReady);
  } catch (e) {
    await close();
    throw e;
  }
  return {
    s,
    registryHost: reg?.host ?? '',
    async docker(cmd) {
      const r = await s.page.evaluate((c) => window.docker(c), cmd);
      if (r.code !== 0) throw new Error(`${cmd}: ${r.stderr}`);
      return r.stdout;
    },
    close,
  };
}
