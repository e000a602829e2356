// Global setup of the browser project: a Vite server for the demo and the test harness pages.
import type { TestProject } from 'vitest/node';
import { startViteServer } from './vite-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the Vite server (root = repo root: /demo/, /test/browser/harness.html). */
    baseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const vite = await startViteServer();
  project.provide('baseUrl', vite.baseUrl);
  return () => vite.close();
}
