import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { type Connect, defineConfig, type Plugin } from 'vite';
import { portsOriginPlugin } from './ports-origin/vite-plugin.ts';
import { registryProxyPlugin } from './proxy/vite-plugin.ts';
import { offlineServiceWorker } from './site/offline-plugin.ts';
import { frontPage, sitePages } from './site/site-pages.ts';

const here = path.dirname(new URL(import.meta.url).pathname);
const imagesDir = path.join(here, 'demo', 'public', 'images');

/**
 * Serves the built-in image layouts byte for byte. Vite's static server would guess a
 * Content-Type from the extension-less blob names and may compress them on the fly.
 */
function imageLayouts(): Plugin {
  const serve: Connect.NextHandleFunction = (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith('/images/')) return next();
    const file = path.join(imagesDir, decodeURIComponent(url.pathname.slice('/images/'.length)));
    if (!file.startsWith(imagesDir + path.sep)) return next();
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) return next();
      size = st.size;
    } catch {
      res.statusCode = 404;
      return res.end();
    }
    res.setHeader('Content-Type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
    res.setHeader('Content-Length', String(size));
    res.setHeader('Cache-Control', 'no-cache');
    createReadStream(file).pipe(res);
  };
  return {
    name: 'image-layouts',
    configureServer: (s) => void s.middlewares.use(serve),
    configurePreviewServer: (s) => void s.middlewares.use(serve),
  };
}

export default defineConfig(({ command }) => ({
  // The dev server serves the demo at /; the site build starts from the repository root, so its
  // pages keep their paths (dist/demo/, dist/examples/embed.html).
  root: command === 'build' ? here : 'demo',
  publicDir: path.join(here, 'demo', 'public'),
  // The registry proxy at /v2/ gives the demo same-origin access to any allowlisted registry. The
  // published ports' origin listens on PORTS_PORT (5174; tests take a free port).
  plugins: [
    registryProxyPlugin(),
    imageLayouts(),
    portsOriginPlugin(Number(process.env.PORTS_PORT ?? (process.env.VITEST ? 0 : 5174))),
    frontPage(),
    offlineServiceWorker(path.join(here, 'demo', 'public')),
  ],
  optimizeDeps: { include: ['idb', 'hash-wasm', 'fzstd', '@xterm/xterm', 'comlink', '@bjorn3/browser_wasi_shim', 'v86'] },
  server: { host: '127.0.0.1', port: Number(process.env.PORT ?? 5173), strictPort: true, fs: { allow: [here] } },
  build: { outDir: path.join(here, 'dist'), emptyOutDir: true, target: 'es2022', rolldownOptions: { input: sitePages(here) } },
}));
