// `npm run build`'s site, built by Vite's API into a temporary directory (not the repository's
// dist/), for the tests that serve it from a plain static server.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface SiteBuild {
  readonly dir: string;
  remove(): Promise<void>;
}

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
