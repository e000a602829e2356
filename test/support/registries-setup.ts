// Global setup of the integration and browser projects: a writable registry on a copy of the
// fixture images and a token-auth registry on the originals. Both projects list this file; a run of
// both starts the registries once and shares them, as a single project did before (a globalSetup
// file is loaded once per project, so the sharing is kept on globalThis, counted per project).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { copyRegistryData, fixturesDir, type RunningRegistry, startRegistry, startTokenAuthRegistry } from './registry.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the open registry (a private, writable copy of the fixtures). */
    registry: string;
    registryDataDir: string;
    /** host:port of the token-auth registry front. */
    authRegistry: string;
  }
}

interface SharedRegistries {
  readonly registry: string;
  readonly registryDataDir: string;
  readonly authRegistry: string;
  stop(): Promise<void>;
}

const KEY = Symbol.for('browser-container-engine.test.registries');
type Holder = { started?: Promise<SharedRegistries>; users: number };
const holder: Holder = ((globalThis as Record<symbol, Holder | undefined>)[KEY] ??= { users: 0 });

async function startShared(): Promise<SharedRegistries> {
  const fixtures = fixturesDir();
  if (!existsSync(path.join(fixtures, 'fixtures.json'))) {
    throw new Error(`fixture images are missing (${fixtures}): run \`npm test\`, which builds them, or \`bash scripts/setup.sh --test\``);
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'engine-tests-'));
  const dataDir = path.join(tmp, 'registry-data');
  await copyRegistryData(path.join(fixtures, 'registry-data'), dataDir);
  const registries: RunningRegistry[] = [];
  try {
    const open = await startRegistry({ dataDir });
    registries.push(open);
    const auth = await startTokenAuthRegistry({ dataDir: path.join(fixtures, 'registry-data') });
    registries.push(auth);
    return {
      registry: open.host,
      registryDataDir: dataDir,
      authRegistry: auth.host,
      async stop() {
        await Promise.all(registries.map((r) => r.stop()));
        await rm(tmp, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await Promise.all(registries.map((r) => r.stop()));
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  holder.users++;
  let shared: SharedRegistries;
  try {
    shared = await (holder.started ??= startShared());
  } catch (e) {
    holder.users--;
    holder.started = undefined;
    throw e;
  }
  project.provide('registry', shared.registry);
  project.provide('registryDataDir', shared.registryDataDir);
  project.provide('authRegistry', shared.authRegistry);
  return async () => {
    if (--holder.users > 0) return;
    holder.started = undefined;
    await shared.stop();
  };
}
