// The ports origin's server (Node): a second HTTP port beside the engine's, serving only what
// makes the origin work in a browser — the Service Worker, the relay page, and a bootstrap page
// for a first visit. Container content never passes through it: the Service Worker answers from
// the engine's tab.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build, type Rolldown } from 'vite';
import { RELAY_PATH, SERVICE_WORKER_PATH, WEBSOCKET_SHIM_PATH } from './wire.ts';

const here = path.dirname(new URL(import.meta.url).pathname);

export interface PortsOrigin {
  /** `http://127.0.0.1:5174` */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Bundles one browser entry of this folder into a single script (a Service Worker cannot import on
 * the fly); `iife` for a classic script that must not add names to a page's global scope.
 */
async function bundle(entry: string, format: 'es' | 'iife' = 'es'): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: 'warn',
    root: here,
    build: { write: false, minify: false, target: 'es2022', lib: { entry: path.join(here, entry), formats: [format], name: 'portsOrigin', fileName: 'entry' } },
  });
  const first = (Array.isArray(out) ? out[0] : out) as Rolldown.RolldownOutput;
  return first.output[0].code;
}

const RELAY_HTML = (script: string) =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>ports relay</title></head><body><script type="module">\n${script}\n</script></body></html>\n`;

// A first visit, before the Service Worker controls this origin: install it, then load again.
const BOOTSTRAP_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Opening a published port…</title></head><body>
<p id="m">Opening a published port…</p>
<script type="module">
const m = document.getElementById('m');
try {
  await navigator.serviceWorker.register('${SERVICE_WORKER_PATH}', { scope: '/' });
  await navigator.serviceWorker.ready;
  if (navigator.serviceWorker.controller) location.reload();
  else navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
} catch (e) {
  m.textContent = 'This browser cannot open published ports here (no Service Worker): ' + e.message;
}
</script></body></html>
`;

/** Starts the ports origin on host:port (port 0: any free one). */
export async function startPortsOrigin(opts: { host?: string; port?: number } = {}): Promise<PortsOrigin> {
  const [worker, relay, shim] = await Promise.all([bundle('service-worker.ts'), bundle('relay-page.ts'), bundle('websocket-shim.ts', 'iife')]);
  const relayHtml = RELAY_HTML(relay);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('Cache-Control', 'no-cache');
    if (url.pathname === SERVICE_WORKER_PATH) {
      res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
      res.setHeader('Service-Worker-Allowed', '/');
      res.end(worker);
    } else if (url.pathname === WEBSOCKET_SHIM_PATH) {
      res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
      res.end(shim);
    } else if (url.pathname === RELAY_PATH) {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(relayHtml);
    } else {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(BOOTSTRAP_HTML);
    }
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
