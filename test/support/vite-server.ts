// The repo's Vite dev server (the demo, the test harness pages, the registry proxy and the ports
// origin) on a free port of 127.0.0.1: for the browser tests' global setup and the benchmarks.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ViteServer {
  /** `http://127.0.0.1:PORT` (root = repo root: /demo/, /test/browser/harness.html). */
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function startViteServer(): Promise<ViteServer> {
  const vite = await createServer({
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
  return { baseUrl, close: () => vite.close() };
}
