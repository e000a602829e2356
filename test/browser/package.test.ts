// The npm package as a consumer gets it: built by scripts/package/build-package.ts, its types
// compiled by tsc in a consumer project, its engine core within budget, and README's example
// running from lib/ in Chromium, on a static server with no isolation headers, without ever
// downloading the x86 executor.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build, createServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../../scripts/package/build-package.ts';
import { packageSizes, staticClosure } from '../../scripts/package/bundle-sizes.ts';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';
import { type StaticServer, serveStatic } from '../support/static-server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Gzipped bytes that `import { createEngine }` may download: 82 KiB since Compose's parser and the builder load on first use (172 KiB before). */
const CORE_BUDGET = 100 * 1024;

/** The js block under README's "Use it in your page". */
async function readmeExample(): Promise<string> {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const example = /## Use it in your page\n[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!example) throw new Error('README.md has no js block under "## Use it in your page"');
  return example;
}

/** The bare names of the package for a page that loads lib/ without a bundler. */
const IMPORT_MAP =
  '<script type="importmap">{"imports": {"browser-container-engine": "./lib/index.js", "browser-container-engine/cli": "./lib/cli.js"}}</script>';
const DONE = "document.body.dataset.done = 'yes';";
/** What README's example writes into #out. */
const EXAMPLE_OUTPUT =
  'hello from wasm32-wasi (hi)\nargv[0]=/hello.wasm\nargv[1]=from\nargv[2]=a page\nexit 0\n' + 'hello from wasm32-wasi (cli)\nargv[0]=/hello.wasm\ndocker: 0\n';
/** busybox run under x86, and its httpd reached through a published port, with the kit and lwIP where a documentation site might keep them. */
const X86_SCRIPT = [
  "import { createEngine } from 'browser-container-engine';",
  "import { dockerCommand } from 'browser-container-engine/cli';",
  "const engine = await createEngine({ dbName: 'x86', x86KitUrl: 'kit/', lwipUrl: 'tcpip/lwip.wasm' });",
  "await engine.images.loadLayout(new URL('images/demo/', location.href).href);",
  'const result = await dockerCommand(engine, \'docker run --rm busybox sh -c "echo hi; uname -m"\');',
  // A published port of an x86 container is reached through the engine's TCP/IP stack, lwIP.
  'await dockerCommand(engine, \'docker run -d -p 8080:80 busybox sh -c "mkdir /www && echo served > /www/index.html && httpd -f -p 80 -h /www"\');',
  'let served;',
  'for (let i = 0; i < 40 && served === undefined; i++) {',
  "  served = await engine.ports.fetch(8080, '/').then((r) => r.text(), () => new Promise((r) => setTimeout(r, 250)));",
  '}',
  'window.result = { ...result, served };',
].join('\n');

const page = (title: string, body: string, head = '') => `<!doctype html><meta charset="utf-8"><title>${title}</title>\n${head}\n${body}\n`;

/** The built-in images, the guest kit (at kit/, not /guest/) and lwIP (at tcpip/) in `dir`. */
async function linkAssets(dir: string): Promise<void> {
  await symlink(path.join(root, 'demo', 'public', 'images'), path.join(dir, 'images'));
  await symlink(path.join(root, 'demo', 'public', 'guest'), path.join(dir, 'kit'));
  await symlink(path.join(root, 'demo', 'public', 'net'), path.join(dir, 'tcpip'));
}

/** Opens the example page at `url`: its page errors and what it wrote. */
async function runExample(s: BrowserSession, url: string): Promise<{ errors: string[]; out: string | null | undefined; isolated: boolean }> {
  const errors: string[] = [];
  const onError = (e: Error) => void errors.push(e.message);
  s.page.on('pageerror', onError);
  try {
    await s.page.goto(url);
    await s.page.waitForFunction(() => document.body.dataset.done === 'yes', undefined, { timeout: 60_000 }).catch(() => undefined);
    return {
      errors,
      out: await s.page.evaluate(() => document.querySelector('#out')?.textContent),
      isolated: await s.page.evaluate(() => crossOriginIsolated),
    };
  } finally {
    s.page.off('pageerror', onError);
  }
}

/** Opens the x86 page at `url`: its page errors and its `window.result`. */
async function runX86(s: BrowserSession, url: string): Promise<{ errors: string[]; result: unknown }> {
  const errors: string[] = [];
  const onError = (e: Error) => void errors.push(e.message);
  s.page.on('pageerror', onError);
  try {
    await s.page.goto(url);
    const result = await s.page
      .waitForFunction(() => (window as unknown as { result?: unknown }).result, undefined, { timeout: 90_000 })
      .then((h) => h.jsonValue())
      .catch(() => undefined);
    return { errors, result };
  } finally {
    s.page.off('pageerror', onError);
  }
}

// Under the repository, so that the package's own dependencies resolve from its node_modules, as
// they would from a consumer's.
let work: string;
let pkg: string;
let lib: string;

beforeAll(async () => {
  await mkdir(path.join(root, '.cache'), { recursive: true });
  work = await mkdtemp(path.join(root, '.cache', 'package-test-'));
  pkg = path.join(work, 'browser-container-engine');
  lib = path.join(pkg, 'lib');
  await buildPackage(lib);
  await copyFile(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
}, 300_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('has every file its exports name', async () => {
    const { exports } = JSON.parse(await readFile(path.join(pkg, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
    const named = Object.values(exports).flatMap((conditions) => Object.values(conditions));
    expect(named.length).toBe(8);
    for (const file of named) expect((await stat(path.join(pkg, file))).isFile(), file).toBe(true);
  });

  it('keeps the engine core within its budget, gzipped; the x86 executor is not part of it', async () => {
    const sizes = await packageSizes(lib);
    console.log(`package sizes, gzipped: ${JSON.stringify(sizes)}`);
    expect(sizes.core).toBeLessThanOrEqual(CORE_BUDGET);
    expect(sizes.x86).toBeGreaterThan(sizes.core);
    const loadedAtOnce = [
      ...(await staticClosure(lib, 'index.js')),
      ...(await staticClosure(lib, 'workers/node-agent.js')),
      ...(await staticClosure(lib, 'workers/process-worker.js')),
    ];
    expect(loadedAtOnce.filter((f) => /x86|guest|v86/.test(f))).toEqual([]);
    // The element's terminal (xterm) loads with its first TTY sandbox, not with the element.
    const xterm = async (files: string[]) => {
      const texts = await Promise.all(files.map((f) => readFile(path.join(lib, f), 'utf8')));
      return files.filter((_, i) => texts[i]!.includes('xterm-helper-textarea'));
    };
    expect(await xterm(await staticClosure(lib, 'element.js'))).toEqual([]);
    expect((await xterm((await readdir(path.join(lib, 'chunks'))).map((f) => `chunks/${f}`))).length).toBeGreaterThan(0);
  });

  it('compiles in a consumer project, with module resolution bundler and nodenext, its internals hidden', async () => {
    const consumer = path.join(work, 'consumer');
    await mkdir(path.join(consumer, 'node_modules'), { recursive: true });
    await symlink(pkg, path.join(consumer, 'node_modules', 'browser-container-engine'));
    await writeFile(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await writeFile(
      path.join(consumer, 'page.ts'),
      [
        "import { createEngine, type Engine, NotFoundError } from 'browser-container-engine';",
        "import { dockerCommand, runDocker, VirtualFiles } from 'browser-container-engine/cli';",
        "import { ContainerSandbox, type SandboxExitDetail } from 'browser-container-engine/element';",
        "const sandbox: ContainerSandbox = document.createElement('container-sandbox');",
        "sandbox.addEventListener('exit', (e) => console.log((e as CustomEvent<SandboxExitDetail>).detail.code));",
        'const sandboxCode: number = await sandbox.run();',
        "await sandbox.writeFile('/src/main.rb', 'puts 1');",
        'const engine: Engine = await createEngine({ dbName: "docs", nodes: 1 });',
        "await engine.images.loadLayout('/images/demo/');",
        "const { Id } = await engine.containers.create({ image: 'hello', cmd: ['a'], env: ['GREETING=x'] });",
        'await engine.containers.start(Id, { onStdout: (b: Uint8Array) => console.log(b.length) });',
        'const status: number = (await engine.containers.wait(Id)).StatusCode;',
        "const code: number = await runDocker(engine, ['run', '--rm', 'hello'], { stdout: console.log, stderr: console.error, isTTY: false, columns: 80, files: new VirtualFiles() });",
        "const { stdout } = await dockerCommand(engine, 'docker ps -a');",
        "try { engine.containers.inspect('nope'); } catch (e) { if (e instanceof NotFoundError) console.log(e.status); }",
        '// @ts-expect-error the database is not part of the API',
        'void engine.db;',
        '// @ts-expect-error nor are the stores',
        'void engine.snapshots;',
        'console.log(status, code, stdout.length, sandboxCode);',
        'export {};',
      ].join('\n'),
    );
    await writeFile(
      path.join(consumer, 'server.ts'),
      [
        "import { createServer } from 'node:http';",
        "import { createEgressProxy, createFetchProxy, createRegistryProxy, loadProxyConfig, type ProxyConfig } from 'browser-container-engine/proxy';",
        'const config: ProxyConfig = loadProxyConfig({ PROXY_PORT: "0" });',
        'const registry = createRegistryProxy(config);',
        'const fetcher = createFetchProxy(config);',
        'const egress = createEgressProxy(config);',
        'createServer((req, res) => registry.handle(req, res, () => fetcher.handle(req, res, () => egress.handle(req, res)))).listen(0);',
      ].join('\n'),
    );
    const base = {
      strict: true,
      target: 'ES2022',
      lib: ['ES2023', 'DOM', 'DOM.Iterable', 'DOM.AsyncIterable'],
      types: ['node'],
      noEmit: true,
      skipLibCheck: false,
    };
    const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
    for (const resolution of [
      { module: 'ESNext', moduleResolution: 'Bundler' },
      { module: 'NodeNext', moduleResolution: 'NodeNext' },
    ]) {
      const config = path.join(consumer, `tsconfig.${resolution.moduleResolution}.json`);
      await writeFile(config, JSON.stringify({ compilerOptions: { ...base, ...resolution }, files: ['page.ts', 'server.ts'] }));
      const run = await promisify(execFile)(tsc, ['-p', config], { cwd: consumer }).then(
        () => ({ ok: true, out: '' }),
        (e: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
      );
      expect(run, resolution.moduleResolution).toEqual({ ok: true, out: '' });
    }
  }, 240_000);

  describe("README's example, from lib/ on a plain static server", () => {
    let server: StaticServer;
    let s: BrowserSession;

    beforeAll(async () => {
      const site = path.join(work, 'site');
      await mkdir(site);
      await writeFile(
        path.join(site, 'index.html'),
        page('package example', `<pre id="out"></pre>\n<script type="module">\n${await readmeExample()}\n${DONE}\n</script>`, IMPORT_MAP),
      );
      await writeFile(path.join(site, 'x86.html'), page('x86 from the package', `<script type="module">\n${X86_SCRIPT}\n</script>`, IMPORT_MAP));
      await symlink(lib, path.join(site, 'lib'));
      await linkAssets(site);
      server = await serveStatic(site);
      s = await launchChromium();
    });
    afterAll(async () => {
      await s?.close();
      await server?.close();
    });

    it('runs a WASI container and streams its output, with no cross-origin isolation and no x86 executor downloaded', async () => {
      expect(await runExample(s, `${server.url}/index.html`)).toEqual({ errors: [], out: EXAMPLE_OUTPUT, isolated: false });
      // The server saw the Workers the engine started (a node's own process Worker too), and none of the x86 executor's files.
      expect(server.requests).toEqual(expect.arrayContaining(['/lib/index.js', '/lib/workers/node-agent.js', '/lib/workers/process-worker.js']));
      expect(server.requests.filter((p) => /x86|guest|v86/.test(p))).toEqual([]);
    });

    it('loads the x86 executor on the first linux/386 container, with the guest kit and lwIP where createEngine was told', async () => {
      const before = server.requests.length;
      const { errors, result } = await runX86(s, `${server.url}/x86.html`);
      expect(errors).toEqual([]);
      expect(result).toMatchObject({ code: 0, stderr: '', served: 'served\n' });
      expect((result as { stdout: string }).stdout).toMatch(/^hi\ni[3-6]86\n$/);
      const x86 = server.requests.slice(before).filter((p) => /x86|guest|v86|kit|lwip|\/net\//.test(p));
      expect(x86).toEqual(expect.arrayContaining(['/lib/workers/guest-worker.js', '/kit/kit.json', '/tcpip/lwip.wasm']));
      expect(x86.some((p) => /^\/lib\/assets\/v86-.*\.wasm$/.test(p))).toBe(true);
      expect(x86.filter((p) => p.startsWith('/guest/') || p.startsWith('/net/'))).toEqual([]);
    }, 120_000);
  });
  describe('in a Vite project: built by `vite build`, and in the dev server', () => {
    let app: string;
    let s: BrowserSession;

    beforeAll(async () => {
      // As `npm install` leaves it: a copy under node_modules, the package's files only.
      app = path.join(work, 'vite-app');
      const installed = path.join(app, 'node_modules', 'browser-container-engine');
      await mkdir(installed, { recursive: true });
      await cp(lib, path.join(installed, 'lib'), { recursive: true });
      await copyFile(path.join(pkg, 'package.json'), path.join(installed, 'package.json'));
      await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'vite-app', private: true, type: 'module' }));
      await writeFile(path.join(app, 'index.html'), page('Vite app', '<pre id="out"></pre>\n<script type="module" src="./main.js"></script>'));
      await writeFile(path.join(app, 'main.js'), `${await readmeExample()}\n${DONE}\n`);
      await writeFile(path.join(app, 'x86.html'), page('Vite app, x86', '<script type="module" src="./x86.js"></script>'));
      await writeFile(path.join(app, 'x86.js'), `${X86_SCRIPT}\n`);
      await mkdir(path.join(app, 'public'));
      await linkAssets(path.join(app, 'public'));
      s = await launchChromium();
    }, 120_000);
    afterAll(async () => {
      await s?.close();
    });

    it('builds, and the build runs the example and an x86 container from a plain static server', async () => {
      // Vitest sets NODE_ENV=test, which would make the bundle a development one.
      const nodeEnv = process.env.NODE_ENV;
      process.env.NODE_ENV = 'production';
      const dist = path.join(app, 'dist');
      try {
        await build({
          configFile: false,
          root: app,
          base: './',
          logLevel: 'error',
          publicDir: false,
          build: { outDir: dist, rolldownOptions: { input: { index: path.join(app, 'index.html'), x86: path.join(app, 'x86.html') } } },
        });
      } finally {
        if (nodeEnv === undefined) delete process.env.NODE_ENV;
        else process.env.NODE_ENV = nodeEnv;
      }
      await linkAssets(dist);
      const server = await serveStatic(dist);
      try {
        expect(await runExample(s, `${server.url}/index.html`)).toEqual({ errors: [], out: EXAMPLE_OUTPUT, isolated: false });
        const { errors, result } = await runX86(s, `${server.url}/x86.html`);
        expect(errors).toEqual([]);
        expect(result).toMatchObject({ code: 0, stderr: '', served: 'served\n' });
        // Everything came from the build: nothing was asked for that it does not have (but the browser's own favicon).
        expect(server.requests.filter((p) => p !== '/favicon.ico' && !existsSync(path.join(dist, p)))).toEqual([]);
      } finally {
        await server.close();
      }
    }, 240_000);

    it('runs in the dev server with the package left out of dependency pre-bundling, as README says', async () => {
      const vite = await createServer({
        configFile: false,
        root: app,
        logLevel: 'error',
        optimizeDeps: { exclude: ['browser-container-engine'] },
        server: { port: 0, host: '127.0.0.1', hmr: false },
      });
      await vite.listen();
      try {
        expect(await runExample(s, `${vite.resolvedUrls!.local[0]}index.html`)).toEqual({ errors: [], out: EXAMPLE_OUTPUT, isolated: false });
      } finally {
        await vite.close();
      }
    }, 120_000);
  });
});
