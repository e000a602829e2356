// Writes the site's Service Worker (site/service-worker.ts) into the build as sw.js, with the
// list of every file it must precache — the bundle and the public folder (built-in images,
// guest kit) — and a hash of their contents that names the build's cache.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { build, type Plugin, type Rolldown } from 'vite';

const here = path.dirname(new URL(import.meta.url).pathname);
const SERVICE_WORKER_FILE = 'sw.js';

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(path.join(dir, d.name), `${prefix}${d.name}/`) : [`${prefix}${d.name}`],
  );
}

/** The Service Worker as one script (it cannot import on the fly). */
async function bundleWorker(): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: 'warn',
    root: here,
    build: { write: false, minify: false, target: 'es2022', lib: { entry: path.join(here, 'service-worker.ts'), formats: ['es'], fileName: 'sw' } },
  });
  const first = (Array.isArray(out) ? out[0] : out) as Rolldown.RolldownOutput;
  return first.output[0].code;
}

export function offlineServiceWorker(publicDir: string): Plugin {
  return {
    name: 'site-service-worker',
    apply: 'build',
    // Last, once the pages (and the front page) are in the bundle.
    generateBundle: {
      order: 'post',
      async handler(_options, bundle) {
        const hash = createHash('sha256');
        const files: string[] = [];
        for (const [name, item] of Object.entries(bundle).sort(([a], [b]) => a.localeCompare(b))) {
          files.push(name);
          hash.update(`${name}\0`).update(item.type === 'chunk' ? item.code : item.source);
        }
        for (const name of filesUnder(publicDir).sort()) {
          files.push(name);
          hash.update(`${name}\0`).update(readFileSync(path.join(publicDir, name)));
        }
        const version = hash.digest('hex').slice(0, 16);
        const code = (await bundleWorker()).replace('__SITE_MANIFEST__', JSON.stringify({ version, files }));
        this.emitFile({ type: 'asset', fileName: SERVICE_WORKER_FILE, source: code });
      },
    },
  };
}
