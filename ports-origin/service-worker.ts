/// <reference lib="webworker" />
// The ports origin's Service Worker: every request a page of this origin makes for a published
// port goes to the engine's tab, through the relay page that tab embeds, and the answer streams
// back. Absolute paths in a container's pages (`/style.css` from `/8080/`) are mapped to the port
// of the page that asked.
import { type PortReply, type PortRequest, type PortSocketRequest, RESERVED_PREFIX, splitPortPath, WEBSOCKET_SHIM_PATH } from './wire.ts';

declare const self: ServiceWorkerGlobalScope;

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

// A page's WebSocket (see websocket-shim.ts): its port goes on to the engine's tab.
self.addEventListener('message', (e) => {
  const m = e.data as PortSocketRequest | undefined;
  if (m?.type !== 'port-websocket' || !e.ports[0]) return;
  const port = e.ports[0];
  e.waitUntil(
    relayClient().then((client) => {
      if (client) client.postMessage(m, [port]);
      else port.postMessage({ type: 'error', message: "the engine's tab is not open" });
    }),
  );
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith(RESERVED_PREFIX)) return;
  e.respondWith(answer(e));
});

async function answer(e: FetchEvent): Promise<Response> {
  const url = new URL(e.request.url);
  const asked = url.pathname + url.search;
  const direct = splitPortPath(asked);
  if (direct) return relay(e.request, direct.hostPort, direct.path);
  // An absolute path from a container's page: the port is the asking page's (or, for a
  // navigation, the referring page's), and a navigation is sent to the port's own path.
  const from = (await portOfClient(e)) ?? (e.request.referrer ? splitPortPath(pathOf(e.request.referrer))?.hostPort : undefined);
  if (from === undefined) return text(404, `No published port in ${asked}: open ${self.location.origin}/<host port>/`);
  if (e.request.mode === 'navigate') return Response.redirect(`/${from}${asked}`, 302);
  return relay(e.request, from, asked);
}

async function portOfClient(e: FetchEvent): Promise<number | undefined> {
  if (!e.clientId) return undefined;
  const client = await self.clients.get(e.clientId);
  return client ? splitPortPath(pathOf(client.url))?.hostPort : undefined;
}

const pathOf = (href: string) => {
  const u = new URL(href);
  return u.pathname + u.search;
};

const text = (status: number, body: string) => new Response(`${body}\n`, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });

/** The relay pages that engine tabs embed; the newest one answers. */
async function relayClient(): Promise<Client | undefined> {
  const all = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  return all.filter((c) => new URL(c.url).pathname.startsWith(RESERVED_PREFIX)).at(-1);
}

async function relay(request: Request, hostPort: number, path: string): Promise<Response> {
  const client = await relayClient();
  if (!client) return text(503, `The engine's tab is not open: nothing serves port ${hostPort}.`);
  const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.arrayBuffer();
  const msg: PortRequest = { type: 'port-request', hostPort, method: request.method, path, headers: [...request.headers], body };
  const { port1, port2 } = new MessageChannel();
  client.postMessage(msg, [port2, ...(body ? [body] : [])]);
  return new Promise<Response>((resolve) => {
    let push: ReadableStreamDefaultController<Uint8Array> | undefined;
    const stream = new ReadableStream<Uint8Array>({ start: (c) => void (push = c), cancel: () => port1.close() });
    port1.onmessage = (ev: MessageEvent<PortReply>) => {
      const r = ev.data;
      if (r.type === 'head') {
        const headers = new Headers(r.headers as [string, string][]);
        const html = request.mode === 'navigate' && /^text\/html\b/i.test(headers.get('Content-Type') ?? '');
        // The shim changes the page's length; the browser then reads it to its end.
        if (html) headers.delete('Content-Length');
        const body = nullBody(r.status) ? null : html ? stream.pipeThrough(shimFirst()) : stream;
        resolve(new Response(body, { status: r.status, statusText: r.statusText, headers }));
      } else if (r.type === 'chunk') push?.enqueue(r.data);
      else if (r.type === 'end') {
        push?.close();
        port1.close();
      } else {
        // Before the head: a gateway error page; after it, the body breaks off as a failed stream.
        resolve(text(502, r.message));
        push?.error(new Error(r.message));
        port1.close();
      }
    };
  });
}

/** Puts the WebSocket shim first in a page: after its doctype (before it, the page would render in quirks mode). */
function shimFirst(): TransformStream<Uint8Array, Uint8Array> {
  const tag = new TextEncoder().encode(`<script src="${WEBSOCKET_SHIM_PATH}"></script>`);
  let head: Uint8Array | undefined = new Uint8Array(0);
  const flushHead = (c: TransformStreamDefaultController<Uint8Array>) => {
    const text = new TextDecoder('latin1').decode(head);
    const doctype = /^\s*<!doctype[^>]*>/i.exec(text);
    const at = doctype ? doctype[0].length : 0;
    c.enqueue(head!.subarray(0, at));
    c.enqueue(tag);
    c.enqueue(head!.subarray(at));
    head = undefined;
  };
  return new TransformStream({
    transform(chunk, c) {
      if (!head) return c.enqueue(chunk);
      const joined = new Uint8Array(head.byteLength + chunk.byteLength);
      joined.set(head);
      joined.set(chunk, head.byteLength);
      head = joined;
      // Enough to see a doctype, or the page is not starting with one.
      if (head.byteLength >= 256 || head.includes(0x3e)) flushHead(c);
    },
    flush(c) {
      if (head) flushHead(c);
    },
  });
}

const nullBody = (status: number) => status === 101 || status === 204 || status === 205 || status === 304;
