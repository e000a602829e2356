// Put first in every page a published port serves. A Service Worker cannot take WebSocket
// connections, so `WebSocket` to this origin is replaced by one that runs over a MessagePort to
// the engine's tab (through the Service Worker, which passes the port on). Sockets to any other
// origin are the browser's own.
import { type PortSocketRequest, type SocketFromEngine, type SocketFromPage, splitPortPath } from './wire.ts';

const NativeWebSocket = window.WebSocket;

/** The port a URL of this origin is for: its own `/<port>/` prefix, or the page's. */
function target(url: URL): { hostPort: number; path: string } | undefined {
  const asked = url.pathname + url.search;
  const direct = splitPortPath(asked);
  if (direct) return direct;
  const page = splitPortPath(location.pathname);
  return page && { hostPort: page.hostPort, path: asked };
}

class PortWebSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  readonly url: string;
  readonly extensions = '';
  readonly bufferedAmount = 0;
  protocol = '';
  readyState = 0;
  binaryType: BinaryType = 'blob';
  onopen: ((e: Event) => void) | null = null;
  onmessage: ((e: MessageEvent) => void) | null = null;
  onclose: ((e: CloseEvent) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  readonly #port: MessagePort;

  constructor(url: URL, to: { hostPort: number; path: string }, protocols: string[]) {
    super();
    this.url = url.href;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    port1.onmessage = (e: MessageEvent<SocketFromEngine>) => this.#receive(e.data);
    const req: PortSocketRequest = { type: 'port-websocket', hostPort: to.hostPort, path: to.path, protocols };
    const worker = navigator.serviceWorker?.controller;
    if (!worker) {
      queueMicrotask(() => this.#receive({ type: 'error', message: 'no Service Worker controls this page' }));
      return;
    }
    worker.postMessage(req, [port2]);
  }

  #fire(e: Event): void {
    this.dispatchEvent(e);
    const handler = (this as unknown as Record<string, ((e: Event) => void) | null>)[`on${e.type}`];
    handler?.call(this, e);
  }

  #receive(m: SocketFromEngine): void {
    if (m.type === 'open') {
      this.readyState = 1;
      this.protocol = m.protocol;
      this.#fire(new Event('open'));
    } else if (m.type === 'message') {
      const data = typeof m.data === 'string' ? m.data : this.binaryType === 'arraybuffer' ? m.data.slice().buffer : new Blob([m.data.slice()]);
      this.#fire(new MessageEvent('message', { data, origin: new URL(this.url).origin }));
    } else if (m.type === 'close' || m.type === 'error') {
      if (this.readyState === 3) return;
      const clean = m.type === 'close';
      this.readyState = 3;
      this.#port.close();
      if (!clean) this.#fire(new Event('error'));
      this.#fire(new CloseEvent('close', { wasClean: clean, code: clean ? m.code : 1006, reason: clean ? m.reason : '' }));
    }
  }

  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (this.readyState === 0) throw new DOMException("Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.", 'InvalidStateError');
    if (this.readyState !== 1) return;
    const post = (d: string | Uint8Array) => this.#port.postMessage({ type: 'send', data: d } satisfies SocketFromPage);
    if (typeof data === 'string') post(data);
    else if (data instanceof Blob) void data.arrayBuffer().then((b) => post(new Uint8Array(b)));
    else if (ArrayBuffer.isView(data)) post(new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice());
    else post(new Uint8Array(data).slice());
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.#port.postMessage({ type: 'close', code, reason } satisfies SocketFromPage);
  }
}

function PortAwareWebSocket(url: string | URL, protocols?: string | string[]): WebSocket {
  const u = new URL(url, location.href);
  const sameOrigin = u.host === location.host && (u.protocol === 'ws:' || u.protocol === 'wss:' || u.protocol === location.protocol);
  const to = sameOrigin ? target(u) : undefined;
  if (!to) return new NativeWebSocket(url, protocols);
  return new PortWebSocket(u, to, typeof protocols === 'string' ? [protocols] : (protocols ?? [])) as unknown as WebSocket;
}
Object.assign(PortAwareWebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
PortAwareWebSocket.prototype = NativeWebSocket.prototype;
window.WebSocket = PortAwareWebSocket as unknown as typeof WebSocket;
