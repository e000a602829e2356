// Starts what the tests share: a writable registry on a copy of the fixture images, a
// token-auth registry on the originals, and a Vite server for the demo and the test harness.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';
import type { TestProject } from 'vitest/node';
import {
  copyRegistryData,
  fixturesDir,
  startRegistry,
  startTokenAuthRegistry,
  type RunningRegistry,
} from './fixtures/registry.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the open registry (a private, writable copy of the fixtures). */
    registry: string;
    registryDataDir: string;
    /** host:port of the token-auth registry front. */
    authRegistry: string;
    /** Base URL of the Vite server (root = repo root: /demo/, /test/browser/harness.html). */
    baseUrl: string;
  }
}

const root = fileURLToPath(new URL('..', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fixtures = fixturesDir();
  if (!existsSync(path.join(fixtures, 'fixtures.json'))) {
    throw new Error(`fixture images are missing (${fixtures}): run \`npm test\`, which builds them, or \`bash scripts/setup.sh --test\``);
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'engine-tests-'));
  const dataDir = path.join(tmp, 'registry-data');
  await copyRegistryData(path.join(fixtures, 'registry-data'), dataDir);
  const registries: RunningRegistry[] = [];
  const open = await startRegistry({ dataDir });
  registries.push(open);
  const auth = await startTokenAuthRegistry({ dataDir: path.join(fixtures, 'registry-data') });
  registries.push(auth);
  const vite: ViteDevServer = await createServer({
    configFile: path.join(root, 'vite.config.ts'),
    root,
    publicDir: path.join(root, 'demo', 'public'),
    logLevel: 'warn',
    server: { port: 0, strictPort: false, host: '127.0.0.1', hmr: false },
  });
  await vite.listen();
  const baseUrl = vite.resolvedUrls?.local[0]?.replace(/\/$/, '');
  if (!baseUrl) throw new Error('vite did not report its URL');
  project.provide('registry', open.host);
  project.provide('registryDataDir', dataDir);
  project.provide('authRegistry', auth.host);
  project.provide('baseUrl', baseUrl);
  return async () => {
    await vite.close();
    await Promise.all(registries.map((r) => r.stop()));
    await rm(tmp, { recursive: true, force: true });
  };
}
