// Published ports end to end, in the demo page with real Workers: a WASI HTTP server in a
// container (`docker run -p`), reached from script (`engine.ports.fetch`), from a tab of the ports
// origin (a page with its image, and a WebSocket echo through the injected shim), with Docker's
// `docker port` / `docker ps` lines, a port conflict, and the port freed when the container exits.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
const server = `${registry}/fixtures/wasi-server:latest`;
let s: BrowserSession;

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);

beforeAll(async () => {
  s = await launchChromium();
  await s.page.goto(`${baseUrl}/demo/index.html?db=published-ports&noproxy`);
  await s.page.evaluate(() => window.engineReady);
  expect((await docker(`docker pull -q ${server}`)).code).toBe(0);
  const run = await docker(`docker run -d --name site -p 8080:8080 ${server}`);
  expect(run.code, run.stderr).toBe(0);
});
afterAll(() => s?.close());

describe('published ports', () => {
  it('are listed as Docker lists them', async () => {
    expect((await docker('docker port site')).stdout).toBe('8080/tcp -> 0.0.0.0:8080\n');
    expect((await docker('docker ps --format "{{.Names}} {{.Ports}}"')).stdout).toBe('site 0.0.0.0:8080->8080/tcp\n');
  });

  it('answer engine.ports.fetch from script', async () => {
    const r = await s.page.evaluate(async () => {
      const page = await window.engine.ports.fetch(8080, '/');
      const image = await window.engine.ports.fetch(8080, '/image.bmp');
      const echo = await window.engine.ports.fetch(8080, '/echo', { method: 'POST', body: 'ping' });
      return {
        status: page.status,
        type: page.headers.get('Content-Type'),
        html: await page.text(),
        bytes: (await image.arrayBuffer()).byteLength,
        echo: await echo.text(),
      };
    });
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/html/);
    expect(r.html).toContain('image.bmp');
    expect(r.bytes).toBe(12342);
    expect(r.echo).toBe('ping');
  });

  it('open in a tab of another origin, with the page’s image and a WebSocket echo', async () => {
    const url = await s.page.evaluate(async () => {
      await window.portsReady;
      return window.engine.ports.url(8080);
    });
    expect(new URL(url).origin).not.toBe(new URL(baseUrl).origin);
    // The demo's panel links to it.
    await expect.poll(() => s.page.evaluate(() => [...document.querySelectorAll('a.item-name')].map((a) => (a as HTMLAnchorElement).href))).toContain(url);
    const tab = await s.context.newPage();
    try {
      await tab.goto(url);
      await tab.waitForFunction(() => document.images.length > 0 && [...document.images].every((i) => i.complete), undefined, { timeout: 20_000 });
      expect(await tab.evaluate(() => [...document.images].map((i) => i.naturalWidth))).toEqual([64]);
      const echoed = await tab.evaluate(
        () =>
          new Promise<string[]>((resolve, reject) => {
            const seen: string[] = [];
            const ws = new WebSocket('/ws');
            ws.binaryType = 'arraybuffer';
            ws.onopen = () => {
              ws.send('hello, container');
              ws.send(new Uint8Array(100_000).fill(9));
            };
            ws.onmessage = (e) => {
              seen.push(typeof e.data === 'string' ? e.data : `${(e.data as ArrayBuffer).byteLength} bytes`);
              if (seen.length === 2) ws.close(1000, 'done');
            };
            ws.onclose = (e) => resolve([...seen, `close ${e.code}`]);
            setTimeout(() => reject(new Error(`timed out: ${seen.join('|')}`)), 15_000);
          }),
      );
      expect(echoed).toEqual(['hello, container', '100000 bytes', 'close 1000']);
    } finally {
      await tab.close();
    }
  });

  it('refuse a port already published, and free it when the container exits', async () => {
    const clash = await docker(`docker run -d --name other -p 8080:8080 ${server}`);
    expect(clash.code).toBe(125);
    expect(clash.stderr).toContain('Bind for 0.0.0.0:8080 failed: port is already allocated');
    expect((await docker('docker rm -f other')).code).toBe(0);

    expect((await docker('docker stop -t 1 site')).code).toBe(0);
    const after = await s.page.evaluate(() =>
      window.engine.ports.fetch(8080, '/').then(
        () => 'answered',
        (e: Error) => `${e.name}: ${e.message}`,
      ),
    );
    expect(after).toMatch(/^NotFoundError: no container publishes port 8080/);
    const again = await docker(`docker run -d --name other -p 8080:8080 ${server}`);
    expect(again.code, again.stderr).toBe(0);
  });
});
