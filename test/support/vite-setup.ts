// Global setup of the browser project: a Vite server for the demo and the test harness pages.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the Vite server (root = repo root: /demo/, /test/browser/harness.html). */
    baseUrl: string;
  }
}

const root = fileURLToPath(new URL('../..', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const vite: ViteDevServer = await createServer({
    configFile: path.join(root, 'vite.config.ts'),
    root,
    publicDir: path.join(root, 'demo', 'public'),
    logLevel: 'warn',
    server: { port: 0, strictPort: false, host: '127.0.0.1', hmr: false },
  });
  await vite.listen();
  const baseUrl = vite.resolvedUrls?.local[0]?.replace(/\/$/, '');
  if (!baseUrl) {
    await vite.close();
    throw new Error('vite did not report its URL');
  }
  project.provide('baseUrl', baseUrl);
  return () => vite.close();
}
