// The published ports' origin in a real Chromium: its Service Worker takes a tab's requests on
// another origin than the engine's, the relay in the engine's tab answers them, and pages, images,
// streamed bodies and POSTs work. The answers here come from a function in the engine's tab; the
// network tests answer from real containers.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const baseUrl = inject('baseUrl');
let s: BrowserSession;
let portsOrigin: string;

/** Mounts the relay in the engine's tab with a small server of its own on "host port" 8080. */
async function mountRelay(page: Page): Promise<string> {
  await page.goto(`${baseUrl}/test/browser/harness.html?db=ports-origin`);
  return page.evaluate(async () => {
    // Imported by the page from Vite (a plain import() here would be rewritten by Vitest's transform).
    const load = new Function('m', 'return import(m)') as (m: string) => Promise<typeof import('../../ports-origin/relay-host.ts')>;
    const { mountPortsRelay } = await load('/ports-origin/relay-host.ts');
    const { origin } = (await (await fetch('/__ports-origin.json')).json()) as { origin: string };
    // A 1×1 PNG.
    const png = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='), (c) =>
      c.charCodeAt(0),
    );
    await mountPortsRelay(
      origin,
      async (hostPort, req) => {
        const path = new URL(req.url).pathname;
        if (hostPort !== 8080) return new Response('no such port', { status: 502 });
        if (path === '/')
          return new Response('<!doctype html><title>in a container</title><img id="abs" src="/img.png"><img id="rel" src="img.png">', {
            headers: { 'Content-Type': 'text/html' },
          });
        if (path === '/img.png') return new Response(png, { headers: { 'Content-Type': 'image/png' } });
        if (path === '/echo') return new Response(`${req.method} ${await req.text()}`);
        if (path === '/stream') {
          const enc = new TextEncoder();
          const body = new ReadableStream<Uint8Array>({
            async start(c) {
              c.enqueue(enc.encode('first;'));
              await new Promise((r) => setTimeout(r, 400));
              c.enqueue(enc.encode('second'));
              c.close();
            },
          });
          return new Response(body);
        }
        return new Response('not found', { status: 404 });
      },
      async (hostPort, path, protocols) => {
        if (hostPort !== 8080 || path !== '/ws') throw new Error(`nothing listens at ${hostPort}${path}`);
        // An echo server: text back with a prefix, binary back reversed; a close is answered in kind.
        const sock = {
          protocol: protocols[0] ?? '',
          onmessage: null as ((d: string | Uint8Array) => void) | null,
          onclose: null as ((code: number, reason: string) => void) | null,
          send(d: string | Uint8Array) {
            setTimeout(() => sock.onmessage?.(typeof d === 'string' ? `echo:${d}` : d.slice().reverse()));
          },
          close(code: number, reason: string) {
            setTimeout(() => sock.onclose?.(code, `bye ${reason}`));
          },
        };
        return sock;
      },
    );
    return origin;
  });
}

beforeAll(async () => {
  s = await launchChromium();
  portsOrigin = await mountRelay(s.page);
});
afterAll(() => s?.close());

describe('the published ports origin', () => {
  it('is another origin than the engine’s', () => {
    expect(new URL(portsOrigin).origin).not.toBe(new URL(baseUrl).origin);
  });

  it('serves a page with its images to a tab of its own, on a first visit too', async () => {
    const tab = await s.context.newPage();
    try {
      await tab.goto(`${portsOrigin}/8080/`);
      await tab.waitForFunction(() => document.title === 'in a container', undefined, { timeout: 15_000 });
      await tab.waitForFunction(() => [...document.images].every((i) => i.complete), undefined, { timeout: 15_000 });
      const widths = await tab.evaluate(() => [...document.images].map((i) => [i.id, i.naturalWidth]));
      expect(widths).toEqual([
        ['abs', 1],
        ['rel', 1],
      ]);
      // The container's page cannot see the engine's storage: its origin is the ports origin.
      expect(await tab.evaluate(() => location.origin)).toBe(portsOrigin);
    } finally {
      await tab.close();
    }
  });

  it('streams a body as it comes, and carries a POST body', async () => {
    const tab = await s.context.newPage();
    try {
      await tab.goto(`${portsOrigin}/8080/`);
      await tab.waitForFunction(() => document.title === 'in a container', undefined, { timeout: 15_000 });
      const r = await tab.evaluate(async () => {
        const t0 = performance.now();
        const res = await fetch('/8080/stream');
        const reader = res.body!.getReader();
        const dec = new TextDecoder();
        const first = await reader.read();
        const firstAt = performance.now() - t0;
        let rest = '';
        for (let c = await reader.read(); !c.done; c = await reader.read()) rest += dec.decode(c.value);
        const echo = await (await fetch('/8080/echo', { method: 'POST', body: 'payload' })).text();
        return { first: dec.decode(first.value), firstAt, rest, total: performance.now() - t0, echo };
      });
      expect(r.first).toBe('first;');
      expect(r.rest).toBe('second');
      expect(r.total - r.firstAt).toBeGreaterThan(250);
      expect(r.echo).toBe('POST payload');
    } finally {
      await tab.close();
    }
  });

  it('carries a WebSocket from a served page to the engine and back', async () => {
    const tab = await s.context.newPage();
    try {
      await tab.goto(`${portsOrigin}/8080/`);
      await tab.waitForFunction(() => document.title === 'in a container', undefined, { timeout: 15_000 });
      const r = await tab.evaluate(async () => {
        const talk = (url: string) =>
          new Promise<string[]>((resolve, reject) => {
            const seen: string[] = [];
            const ws = new WebSocket(url, ['chat']);
            ws.binaryType = 'arraybuffer';
            ws.onopen = () => {
              seen.push(`open ${ws.protocol}`);
              ws.send('hi');
              ws.send(new Uint8Array([1, 2, 3]));
            };
            ws.onmessage = (e) => {
              seen.push(typeof e.data === 'string' ? e.data : [...new Uint8Array(e.data as ArrayBuffer)].join(','));
              if (seen.length === 3) ws.close(1000, 'done');
            };
            ws.onclose = (e) => resolve([...seen, `close ${e.code} ${e.reason} ${e.wasClean}`]);
            ws.onerror = () => seen.push('error');
            setTimeout(() => reject(new Error(`timed out: ${seen.join('|')}`)), 10_000);
          });
        const refused = await new Promise<string>((resolve) => {
          const ws = new WebSocket(`ws://${location.host}/8080/nothing`);
          ws.onclose = (e) => resolve(`${e.code} ${e.wasClean}`);
        });
        return {
          quirks: document.compatMode,
          full: await talk(`ws://${location.host}/8080/ws`),
          relative: await talk('/ws'),
          refused,
        };
      });
      // The shim went in after the doctype: the page renders in standards mode.
      expect(r.quirks).toBe('CSS1Compat');
      const expected = ['open chat', 'echo:hi', '3,2,1', 'close 1000 bye done true'];
      expect(r.full).toEqual(expected);
      expect(r.relative).toEqual(expected);
      expect(r.refused).toBe('1006 false');
    } finally {
      await tab.close();
    }
  });

  it('says which port is missing, and that no engine tab answers when none is open', async () => {
    const tab = await s.context.newPage();
    try {
      await tab.goto(`${portsOrigin}/8080/`);
      await tab.waitForFunction(() => document.title === 'in a container', undefined, { timeout: 15_000 });
      const other = await tab.evaluate(async () => {
        const r = await fetch('/9090/');
        return [r.status, await r.text()] as const;
      });
      expect(other).toEqual([502, 'no such port']);
      await s.page.goto('about:blank');
      const gone = await tab.evaluate(async () => {
        const r = await fetch('/8080/');
        return [r.status, await r.text()] as const;
      });
      expect(gone[0]).toBe(503);
      expect(gone[1]).toContain('not open');
    } finally {
      await tab.close();
      portsOrigin = await mountRelay(s.page);
    }
  });
});
