// Global setup of the browser project: a Vite server for the demo and the test harness pages,
// whose proxy lets containers reach one of the egress test servers (egress-targets.ts).
import type { TestProject } from 'vitest/node';
import { startEgressTargets } from './egress-targets.ts';
import { startViteServer } from './vite-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the Vite server (root = repo root: /demo/, /test/browser/harness.html). */
    baseUrl: string;
    /** Servers beyond the containers' networks: the proxy allows `allowedPort`, not `refusedPort`. */
    egress: { host: string; address: string; allowedPort: number; refusedPort: number };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const targets = await startEgressTargets();
  // The Vite plugin's proxy reads its configuration from the environment as it starts.
  process.env.PROXY_EGRESS_ALLOW = targets.allow;
  const vite = await startViteServer();
  project.provide('baseUrl', vite.baseUrl);
  project.provide('egress', { host: targets.host, address: targets.address, allowedPort: targets.allowedPort, refusedPort: targets.refusedPort });
  return async () => {
    await vite.close();
    await targets.close();
  };
}
