// The npm package as a consumer gets it: built by scripts/package/build-package.ts, its types
// compiled by tsc in a consumer project, its engine core within budget, and README's example
// running from lib/ in Chromium, on a static server with no isolation headers, without ever
// downloading the x86 executor.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../../scripts/package/build-package.ts';
import { packageSizes, staticClosure } from '../../scripts/package/bundle-sizes.ts';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';
import { type StaticServer, serveStatic } from '../support/static-server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Gzipped bytes that `import { createEngine }` may download (169 KiB when the budget was set). */
const CORE_BUDGET = 200 * 1024;

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
      const readme = await readFile(path.join(root, 'README.md'), 'utf8');
      const example = /## Use it in your page\n[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
      if (!example) throw new Error('README.md has no js block under "## Use it in your page"');
      const site = path.join(work, 'site');
      await mkdir(site);
      await writeFile(
        path.join(site, 'index.html'),
        [
          '<!doctype html><meta charset="utf-8"><title>package example</title>',
          '<script type="importmap">{"imports": {"browser-container-engine": "./lib/index.js", "browser-container-engine/cli": "./lib/cli.js"}}</script>',
          '<pre id="out"></pre>',
          `<script type="module">\n${example}\ndocument.body.dataset.done = 'yes';\n</script>`,
        ].join('\n'),
      );
      await symlink(lib, path.join(site, 'lib'));
      await symlink(path.join(root, 'demo', 'public', 'images'), path.join(site, 'images'));
      // The guest kit where a documentation site might keep it, not at /guest/.
      await symlink(path.join(root, 'demo', 'public', 'guest'), path.join(site, 'kit'));
      await symlink(path.join(root, 'demo', 'public', 'net'), path.join(site, 'tcpip'));
      await writeFile(
        path.join(site, 'x86.html'),
        [
          '<!doctype html><meta charset="utf-8"><title>x86 from the package</title>',
          '<script type="importmap">{"imports": {"browser-container-engine": "./lib/index.js", "browser-container-engine/cli": "./lib/cli.js"}}</script>',
          '<script type="module">',
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
          '</script>',
        ].join('\n'),
      );
      server = await serveStatic(site);
      s = await launchChromium();
    });
    afterAll(async () => {
      await s?.close();
      await server?.close();
    });

    it('runs a WASI container and streams its output, with no cross-origin isolation and no x86 executor downloaded', async () => {
      const errors: string[] = [];
      s.page.on('pageerror', (e) => void errors.push(e.message));
      await s.page.goto(`${server.url}/index.html`);
      await s.page.waitForFunction(() => document.body.dataset.done === 'yes', undefined, { timeout: 60_000 }).catch(() => undefined);
      expect(errors).toEqual([]);
      expect(await s.page.evaluate(() => crossOriginIsolated)).toBe(false);
      const out = await s.page.evaluate(() => document.querySelector('#out')!.textContent);
      expect(out).toBe(
        'hello from wasm32-wasi (hi)\nargv[0]=/hello.wasm\nargv[1]=from\nargv[2]=a page\nexit 0\n' +
          'hello from wasm32-wasi (cli)\nargv[0]=/hello.wasm\ndocker: 0\n',
      );
      // The server saw the Workers the engine started (a node's own process Worker too), and none of the x86 executor's files.
      expect(server.requests).toEqual(expect.arrayContaining(['/lib/index.js', '/lib/workers/node-agent.js', '/lib/workers/process-worker.js']));
      expect(server.requests.filter((p) => /x86|guest|v86/.test(p))).toEqual([]);
    });

    it('loads the x86 executor on the first linux/386 container, with the guest kit and lwIP where createEngine was told', async () => {
      const errors: string[] = [];
      s.page.on('pageerror', (e) => void errors.push(e.message));
      const before = server.requests.length;
      await s.page.goto(`${server.url}/x86.html`);
      const result = await s.page
        .waitForFunction(() => (window as unknown as { result?: unknown }).result, undefined, { timeout: 90_000 })
        .then((h) => h.jsonValue())
        .catch(() => undefined);
      expect(errors).toEqual([]);
      expect(result).toMatchObject({ code: 0, stderr: '', served: 'served\n' });
      expect((result as { stdout: string }).stdout).toMatch(/^hi\ni[3-6]86\n$/);
      const x86 = server.requests.slice(before).filter((p) => /x86|guest|v86|kit|lwip|\/net\//.test(p));
      expect(x86).toEqual(expect.arrayContaining(['/lib/workers/guest-worker.js', '/kit/kit.json', '/tcpip/lwip.wasm']));
      expect(x86.some((p) => /^\/lib\/assets\/v86-.*\.wasm$/.test(p))).toBe(true);
      expect(x86.filter((p) => p.startsWith('/guest/') || p.startsWith('/net/'))).toEqual([]);
    }, 120_000);
  });
});
