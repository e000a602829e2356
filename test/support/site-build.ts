// `npm run build`'s site, built by Vite's API into a temporary directory (not the repository's
// dist/), for the tests that serve it from a plain static server.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { type BrowserSession, launchChromium } from './chromium.ts';
import { type StaticServer, serveStatic } from './static-server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface SiteBuild {
  readonly dir: string;
  remove(): Promise<void>;
}

/** `npm run build`'s site in a new temporary directory. */
export async function buildSite(): Promise<SiteBuild> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'site-'));
  // Vitest sets NODE_ENV=test, which would make the bundle a development one (import.meta.env.PROD false).
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'error', build: { outDir: dir, emptyOutDir: true } });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The built site served by a plain static server, and a Chromium to visit it. */
export interface ServedSite {
  readonly site: SiteBuild;
  readonly server: StaticServer;
  readonly s: BrowserSession;
  close(): Promise<void>;
}

export async function serveBuiltSite(): Promise<ServedSite> {
  const t0 = Date.now();
  const site = await buildSite();
  console.log(`site built in ${Date.now() - t0} ms`);
  const server = await serveStatic(site.dir);
  const s = await launchChromium();
  return {
    site,
    server,
    s,
    async close() {
      await s.close();
      await server.close();
      await site.remove();
    },
  };
}
