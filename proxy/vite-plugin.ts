import type { Plugin, PreviewServer, ViteDevServer } from 'vite';
import { loadProxyConfig, type ProxyConfig } from './config.ts';
import { createRegistryProxy } from './server.ts';

/** A developer's own registries on this machine: `localhost:*`, any 127.x.x.x, `[::1]`. */
const LOOPBACK_REGISTRIES = ['localhost:*', '127.0.0.0/8', '::1/128'];

/**
 * Mounts the registry proxy at `/v2/` on Vite's dev and preview servers, so the demo pulls
 * from the page's own origin (no CORS at all). Starts from the same PROXY_* environment as the
 * standalone server, adds loopback registries (as a local dev convenience), then `overrides`.
 */
export function registryProxyPlugin(overrides: Partial<ProxyConfig> = {}): Plugin {
  const configFor = (): ProxyConfig => {
    const base = loadProxyConfig();
    return {
      ...base,
      allow: [...base.allow, ...LOOPBACK_REGISTRIES],
      allowPrivate: [...base.allowPrivate, 'loopback'],
      ...overrides,
    };
  };
  const mount = (server: ViteDevServer | PreviewServer) => {
    const proxy = createRegistryProxy(configFor());
    // Added directly (not from a returned function) so it runs before Vite's own middlewares.
    server.middlewares.use((req, res, next) => proxy.handle(req, res, next));
    server.httpServer?.once('close', () => void proxy.close());
  };
  return {
    name: 'registry-proxy',
    configureServer: mount,
    configurePreviewServer: mount,
  };
}
