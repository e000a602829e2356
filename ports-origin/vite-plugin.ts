import type { Plugin, PreviewServer, ViteDevServer } from 'vite';
import { type PortsOrigin, startPortsOrigin } from './server.ts';
import { PORTS_ORIGIN_ENDPOINT } from './wire.ts';

/**
 * Starts the published ports' origin beside Vite's dev and preview servers, on `port` of the same
 * host (a taken port falls back to a free one, said in the log), and tells the page where it is.
 */
export function portsOriginPlugin(port: number): Plugin {
  const mount = (server: ViteDevServer | PreviewServer) => {
    const host = '127.0.0.1';
    const started: Promise<PortsOrigin> = startPortsOrigin({ host, port }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EADDRINUSE') throw e;
      server.config.logger.warn(`ports origin: port ${port} is taken; using a free one`);
      return startPortsOrigin({ host, port: 0 });
    });
    void started.then((p) => server.config.logger.info(`  published ports: ${p.origin}/<host port>/`));
    server.middlewares.use(PORTS_ORIGIN_ENDPOINT, (_req, res) => {
      void started.then(
        (p) => {
          res.setHeader('Content-Type', 'application/json');
          res.setHeader('Cache-Control', 'no-cache');
          res.end(JSON.stringify({ origin: p.origin }));
        },
        (e: Error) => {
          res.statusCode = 503;
          res.end(JSON.stringify({ error: e.message }));
        },
      );
    });
    server.httpServer?.once('close', () => void started.then((p) => p.close()));
  };
  return { name: 'ports-origin', configureServer: mount, configurePreviewServer: mount };
}
