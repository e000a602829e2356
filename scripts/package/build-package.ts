// Builds the npm package into `outDir`: ESM bundles for the browser entries (the engine, the CLI,
// the element) with their Workers and assets beside them, one for Node (the proxy), and the
// `.d.ts` of every entry. package.json's `exports` points into this layout.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build, type Rolldown } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The browser entries: bundle name → source. Each is `exports['./<name>']` (`index` is `.`). */
export const BROWSER_ENTRIES = {
  index: 'engine/index.ts',
  cli: 'cli/docker.ts',
  element: 'element/index.ts',
} as const;
/** The Node entry (`exports['./proxy']`). */
export const NODE_ENTRY = 'proxy/index.ts';
/** Where the declarations go, under `outDir`, in the sources' own tree. */
export const TYPES_DIR = 'types';

/**
 * v86's module also runs under Node and imports Node's modules there; in the browser those imports
 * are never reached, and Vite's notice for each of them is noise.
 */
const quietV86: NonNullable<Rolldown.InputOptions['onLog']> = (level, log, next) => {
  if (!log.message.includes('externalized for browser compatibility')) next(level, log);
};

/**
 * The browser bundles carry their dependencies and refer to their Workers, chunks and assets with
 * `new URL(…, import.meta.url)`, so `lib/` works from any static host, with or without a bundler.
 */
async function buildBrowser(outDir: string): Promise<void> {
  const output = { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', assetFileNames: 'assets/[name]-[hash][extname]' };
  await build({
    configFile: false,
    root,
    base: './',
    publicDir: false,
    logLevel: 'warn',
    worker: { format: 'es', rolldownOptions: { output: { ...output, entryFileNames: 'workers/[name].js' } } },
    build: {
      outDir,
      emptyOutDir: false,
      target: 'es2022',
      // No preload helper: it would add <link> tags to whatever page imports the package.
      modulePreload: false,
      // The core's budget is a test's (test/browser/package.test.ts); Vite's 500 kB hint is noise here.
      chunkSizeWarningLimit: 2048,
      reportCompressedSize: false,
      rolldownOptions: {
        input: Object.fromEntries(Object.entries(BROWSER_ENTRIES).map(([name, src]) => [name, path.join(root, src)])),
        preserveEntrySignatures: 'strict',
        output,
        onLog: quietV86,
        checks: { pluginTimings: false },
      },
    },
  });
}

/** The proxy for Node: its dependencies (`ws`) stay imports, resolved from the consumer's node_modules. */
async function buildNode(outDir: string): Promise<void> {
  await build({
    configFile: false,
    root,
    publicDir: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: false,
      target: 'node20',
      ssr: path.join(root, NODE_ENTRY),
      rolldownOptions: { output: { entryFileNames: 'proxy.js' } },
    },
  });
}

/**
 * The entries' declarations with tsc, from the repository's own compiler options. tsc keeps the
 * sources' `.ts` import specifiers in `.d.ts` files; they are rewritten to `.js`, which is what a
 * consumer's compiler resolves to the emitted `.d.ts` under every module resolution.
 */
async function buildTypes(outDir: string): Promise<void> {
  const typesDir = path.join(outDir, TYPES_DIR);
  // Beside the repository's tsconfig, so the types it names (node, vite/client) resolve as they do for it.
  await mkdir(path.join(root, '.cache'), { recursive: true });
  const configDir = await mkdtemp(path.join(root, '.cache', 'package-types-'));
  const config = path.join(configDir, 'tsconfig.json');
  await writeFile(
    config,
    JSON.stringify({
      extends: path.join(root, 'tsconfig.json'),
      compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, rootDir: root, outDir: typesDir },
      include: [],
      files: [...Object.values(BROWSER_ENTRIES), NODE_ENTRY].map((f) => path.join(root, f)),
    }),
  );
  try {
    await promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', config], { cwd: root });
  } catch (e) {
    const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string };
    throw new Error(`tsc could not emit the package's declarations:\n${stdout}${stderr}`);
  } finally {
    await rm(configDir, { recursive: true, force: true });
  }
  for (const entry of await readdir(typesDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    const rewritten = text.replace(/((?:from |import\()['"]\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1.js$2');
    if (rewritten !== text) await writeFile(file, rewritten);
  }
}

/** The Workers the browser bundles start: the network, the node, its process Workers, the x86 guest, and the tabs' broker (a SharedWorker). */
const WORKER_COUNT = 5;
/**
 * Vite writes each Worker (and SharedWorker) it bundled as ``new Worker(new URL(new URL(`w.js`, import.meta.url).href,
 * ``+import.meta.url), { type: `module` })``, a form a consumer's bundler passes over, so its build
 * would lack the Workers. Written back as `new Worker(new URL('w.js', import.meta.url), { type:
 * "module" })`, the form Vite and webpack look for, the consumer's build bundles them too.
 */
const BUNDLED_WORKER =
  /new (Worker|SharedWorker)\(new URL\(\s*(?:\/\* @vite-ignore \*\/\s*)?new URL\((`[^`$]+`),import\.meta\.url\)\.href,``\+import\.meta\.url\),\{type:`module`/g;

async function exposeWorkers(outDir: string): Promise<void> {
  let found = 0;
  for (const entry of await readdir(outDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    const rewritten = text.replace(BUNDLED_WORKER, (_, kind: string, url: string) => {
      found++;
      return `new ${kind}(new URL(${url},import.meta.url),{type:"module"`;
    });
    if (rewritten !== text) await writeFile(file, rewritten);
  }
  if (found !== WORKER_COUNT)
    throw new Error(`expected ${WORKER_COUNT} Workers in the browser bundles, found ${found}: has Vite's output for \`new Worker\` changed?`);
}

export async function buildPackage(outDir: string): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await buildBrowser(outDir);
  await exposeWorkers(outDir);
  await buildNode(outDir);
  await buildTypes(outDir);
}
