import type { Plugin, PreviewServer, ViteDevServer } from 'vite';
import { loadProxyConfig, type ProxyConfig } from './config.ts';
import { createEgressProxy } from './egress.ts';
import { createFetchProxy } from './fetch-endpoint.ts';
import { createRegistryProxy } from './server.ts';

/** A developer's own registries on this machine: `localhost:*`, any 127.x.x.x, `[::1]`. */
const LOOPBACK_REGISTRIES = ['localhost:*', '127.0.0.0/8', '::1/128'];

/**
 * Mounts the registry proxy at `/v2/`, the URL fetch endpoint at `/fetch` and the egress endpoint
 * at `/egress/` on Vite's dev and preview servers, so the demo pulls, pushes, fetches and dials
 * out from the page's own origin (no CORS at all). Starts from the same PROXY_* environment as
 * the standalone server, adds loopback registries to both `allow` and `pushAllow` (a local dev
 * convenience, for the developer's own registry; it opens no egress: egressAllow is left as
 * configured), then `overrides`.
 */
export function registryProxyPlugin(overrides: Partial<ProxyConfig> = {}): Plugin {
  const configFor = (): ProxyConfig => {
    const base = loadProxyConfig();
    return {
      ...base,
      allow: [...base.allow, ...LOOPBACK_REGISTRIES],
      pushAllow: [...base.pushAllow, ...LOOPBACK_REGISTRIES],
      allowPrivate: [...base.allowPrivate, 'loopback'],
      ...overrides,
    };
  };
  const mount = (server: ViteDevServer | PreviewServer) => {
    const config = configFor();
    const proxy = createRegistryProxy(config);
    const fetcher = createFetchProxy(config);
    const egress = createEgressProxy(config);
    // Added directly (not from a returned function) so they run before Vite's own middlewares.
    server.middlewares.use((req, res, next) => proxy.handle(req, res, next));
    server.middlewares.use((req, res, next) => fetcher.handle(req, res, next));
    server.middlewares.use((req, res, next) => egress.handle(req, res, next));
    // Takes only /egress upgrades; Vite's HMR socket (and any other) is left to its own listener.
    server.httpServer?.on('upgrade', (req, socket, head) => egress.handleUpgrade(req, socket, head));
    server.httpServer?.once('close', () => {
      egress.close();
      fetcher.close();
      void proxy.close();
    });
  };
  return {
    name: 'registry-proxy',
    configureServer: mount,
    configurePreviewServer: mount,
  };
}
