// `npm run build`'s static site, served by a plain static server with no isolation headers: the
// embed page's three sandboxes run from the built-in images, and the demo runs without the
// registry proxy it has under the dev server.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSandbox } from '../../element/index.ts';
import type { BrowserSession } from '../support/chromium.ts';
import { type ServedSite, type SiteBuild, serveBuiltSite } from '../support/site-build.ts';
import type { StaticServer } from '../support/static-server.ts';

let site: SiteBuild;
let server: StaticServer;
let s: BrowserSession;
let served: ServedSite;

beforeAll(async () => {
  served = await serveBuiltSite();
  ({ site, server, s } = served);
});
afterAll(() => served?.close());

describe('the static site', () => {
  it('holds the pages, the built-in images byte for byte, the guest kit and the Service Worker', async () => {
    const repo = path.resolve(import.meta.dirname, '../..');
    for (const f of ['index.html', 'demo/index.html', 'examples/embed.html', 'sw.js', 'guest/kit.json', 'guest/state-128.gzip']) {
      expect((await readFile(path.join(site.dir, f))).byteLength, f).toBeGreaterThan(0);
    }
    for (const layout of ['demo', 'ruby']) {
      const index = JSON.parse(await readFile(path.join(repo, 'demo/public/images', layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      for (const m of index.manifests) {
        const blob = `images/${layout}/blobs/sha256/${m.digest.slice('sha256:'.length)}`;
        expect((await readFile(path.join(site.dir, blob))).equals(await readFile(path.join(repo, 'demo/public', blob))), blob).toBe(true);
      }
    }
  });

  it('runs the embed page’s three sandboxes, without cross-origin isolation', async () => {
    await s.page.goto(`${server.url}/examples/embed.html`);
    expect(await s.page.evaluate(() => crossOriginIsolated)).toBe(false);
    const t0 = Date.now();
    const results = await s.page.evaluate(async () => {
      const run = async (id: string) => {
        const el = document.getElementById(id) as ContainerSandbox;
        let output = '';
        el.addEventListener('output', (e) => (output += (e as CustomEvent<{ text: string }>).detail.text));
        return { code: await el.run(), output };
      };
      return Promise.all(['hello', 'ruby', 'busybox'].map(run));
    });
    console.log(`three sandboxes from a cold start: ${Date.now() - t0} ms`);
    expect(results).toEqual([
      { code: 0, output: 'hello from wasm32-wasi (hello-docs)\nargv[0]=/hello.wasm\nargv[1]=from\nargv[2]=the\nargv[3]=docs\n' },
      { code: 0, output: 'Hello, documentation!\n6\n' },
      { code: 0, output: 'hello-386 from i686\n1\n' },
    ]);
    // No proxy on a static host: the page found none and asked nothing else of /v2/.
    expect(server.requests.filter((p) => p.startsWith('/v2/'))).toEqual(['/v2/']);
  });

  it('runs the demo without the registry proxy', async () => {
    await s.page.goto(`${server.url}/demo/?db=static-demo`);
    await s.page.evaluate(() => (window as unknown as { engineReady: Promise<void> }).engineReady);
    const run = (cmd: string) => s.page.evaluate((c) => (window as unknown as { docker(c: string): Promise<{ code: number; stdout: string }> }).docker(c), cmd);
    expect(await run('docker run --rm hello')).toMatchObject({ code: 0, stdout: expect.stringContaining('hello from wasm32-wasi') });
    expect(await run('docker run --rm busybox uname -m')).toMatchObject({ code: 0, stdout: 'i686\n' });
  });
});
