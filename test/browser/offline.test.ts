// The static site offline: after one visit, with the network cut (Playwright's setOffline in a
// real Chromium), the embed page's sandboxes and the demo still run, their code, images and x86
// guest kit coming from the Service Worker's cache. A new build is picked up on the next visit
// and announced in the page.
import { readFile, writeFile } from 'node:fs/promises';
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

const announced = () => s.page.locator('#update').textContent();

beforeAll(async () => {
  served = await serveBuiltSite();
  ({ site, server, s } = served);
});
afterAll(() => served?.close());

describe('offline after one visit', () => {
  it('says when the site is saved for offline use', async () => {
    await s.page.goto(`${server.url}/examples/embed.html`);
    await expect.poll(announced, { timeout: 60_000 }).toBe('This site is saved for offline use.');
    const cached = await s.page.evaluate(async () => {
      const names = await caches.keys();
      return (await (await caches.open(names[0]!)).keys()).map((r) => new URL(r.url).pathname);
    });
    expect(cached).toEqual(expect.arrayContaining(['/demo/index.html', '/examples/embed.html', '/images/ruby/index.json', '/guest/state-128.gzip']));
  });

  it('runs the embed page’s sandboxes with the network off', async () => {
    await s.context.setOffline(true);
    await s.page.reload();
    expect(
      await s.page.evaluate(() =>
        fetch('/not-in-the-cache').then(
          () => 'reached',
          () => 'offline',
        ),
      ),
    ).toBe('offline');
    const results = await s.page.evaluate(async () => {
      const run = async (id: string) => {
        const el = document.getElementById(id) as ContainerSandbox;
        let output = '';
        el.addEventListener('output', (e) => (output += (e as CustomEvent<{ text: string }>).detail.text));
        return { code: await el.run(), output };
      };
      return Promise.all(['hello', 'ruby', 'busybox'].map(run));
    });
    expect(results).toEqual([
      { code: 0, output: 'hello from wasm32-wasi (hello-docs)\nargv[0]=/hello.wasm\nargv[1]=from\nargv[2]=the\nargv[3]=docs\n' },
      { code: 0, output: 'Hello, documentation!\n6\n' },
      { code: 0, output: 'hello-386 from i686\n1\n' },
    ]);
  });

  it('runs the demo with the network off', async () => {
    await s.page.goto(`${server.url}/demo/?db=offline-demo`);
    await s.page.evaluate(() => (window as unknown as { engineReady: Promise<void> }).engineReady);
    const run = (cmd: string) => s.page.evaluate((c) => (window as unknown as { docker(c: string): Promise<{ code: number; stdout: string }> }).docker(c), cmd);
    expect(await run('docker images --format "{{.Repository}}"')).toEqual({ code: 0, stdout: 'busybox\nhello\nruby\nweb\n', stderr: '' });
    expect(await run('docker run --rm ruby -e "puts 6*7"')).toMatchObject({ code: 0, stdout: '42\n' });
    expect(await run('docker run --rm busybox uname -m')).toMatchObject({ code: 0, stdout: 'i686\n' });
  });

  it('picks up a new build on the next visit, and says so', async () => {
    await s.context.setOffline(false);
    // A new build: a changed page, so a Service Worker with another cache name.
    const page = path.join(site.dir, 'examples/embed.html');
    await writeFile(page, (await readFile(page, 'utf8')).replace('<h1>Containers in a documentation page</h1>', '<h1>Containers in a page, version 2</h1>'));
    const sw = path.join(site.dir, 'sw.js');
    await writeFile(sw, (await readFile(sw, 'utf8')).replace(/"version":"[0-9a-f]+"/, '"version":"0000000000000002"'));
    await s.page.goto(`${server.url}/examples/embed.html`);
    await expect.poll(announced, { timeout: 60_000 }).toBe('A new version of this site was installed: reload the page to use it.');
    await s.page.reload();
    expect(await s.page.locator('h1').textContent()).toBe('Containers in a page, version 2');
    // The old build's cache is gone; the engine's own (the inflated x86 machine) is not the site's to drop.
    expect((await s.page.evaluate(() => caches.keys())).sort()).toEqual(['site-0000000000000002', 'x86-guest-states']);
  });
});
