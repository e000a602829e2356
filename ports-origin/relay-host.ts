// The engine tab's side of the ports origin: it embeds the relay page (hidden) and answers each
// request the Service Worker relays with `fetchPort`, streaming the body back as it arrives.
import { type PortReply, type PortRequest, type PortSocketRequest, RELAY_PATH, type RelayReady, type SocketFromEngine, type SocketFromPage } from './wire.ts';

/** Answers a request for a published port (the engine's `ports.fetch`). */
export type PortFetcher = (hostPort: number, request: Request) => Promise<Response>;

/** A WebSocket the engine opened to a published port (the engine's `ports.websocket`). */
export interface PortSocket {
  /** The subprotocol the server chose, or ''. */
  readonly protocol: string;
  send(data: string | Uint8Array): void;
  close(code: number, reason: string): void;
  /** Set by the relay before any message is delivered. */
  onmessage: ((data: string | Uint8Array) => void) | null;
  onclose: ((code: number, reason: string) => void) | null;
}
export type PortSocketOpener = (hostPort: number, path: string, protocols: readonly string[]) => Promise<PortSocket>;

export interface PortsRelay {
  readonly origin: string;
  close(): void;
}

/** Mounts the relay for `portsOrigin`; resolves once its Service Worker controls that origin. */
export function mountPortsRelay(
  portsOrigin: string,
  fetchPort: PortFetcher,
  openSocket: PortSocketOpener,
  opts: { timeoutMs?: number } = {},
): Promise<PortsRelay> {
  const origin = new URL(portsOrigin).origin;
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.title = 'published ports relay';
  frame.src = `${origin}${RELAY_PATH}?engine=${encodeURIComponent(location.origin)}`;
  return new Promise<PortsRelay>((resolve, reject) => {
    const timer = setTimeout(() => {
      close();
      reject(new Error(`the ports origin ${origin} did not start its Service Worker (is its server running?)`));
    }, opts.timeoutMs ?? 15_000);
    const onMessage = (e: MessageEvent<PortRequest | PortSocketRequest | RelayReady>) => {
      if (e.origin !== origin || e.source !== frame.contentWindow) return;
      if (e.data?.type === 'ports-relay-ready') {
        clearTimeout(timer);
        resolve({ origin, close });
      } else if (e.data?.type === 'port-request' && e.ports[0]) void answer(e.data, e.ports[0], fetchPort);
      else if (e.data?.type === 'port-websocket' && e.ports[0]) void bridgeSocket(e.data, e.ports[0], openSocket);
    };
    const close = () => {
      clearTimeout(timer);
      window.removeEventListener('message', onMessage);
      frame.remove();
    };
    window.addEventListener('message', onMessage);
    document.body.append(frame);
  });
}

async function answer(req: PortRequest, reply: MessagePort, fetchPort: PortFetcher): Promise<void> {
  const send = (m: PortReply, transfer: Transferable[] = []) => reply.postMessage(m, transfer);
  try {
    const request = new Request(`http://localhost:${req.hostPort}${req.path}`, {
      method: req.method,
      headers: req.headers as [string, string][],
      body: req.body,
    });
    const res = await fetchPort(req.hostPort, request);
    send({ type: 'head', status: res.status, statusText: res.statusText, headers: [...res.headers] });
    if (res.body) {
      const reader = res.body.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        // A view of part of a buffer is copied: transferring would detach the rest of it too.
        const own = r.value.byteOffset === 0 && r.value.byteLength === r.value.buffer.byteLength ? r.value : r.value.slice();
        send({ type: 'chunk', data: own }, [own.buffer]);
      }
    }
    send({ type: 'end' });
  } catch (e) {
    send({ type: 'error', message: (e as Error).message });
  } finally {
    reply.close();
  }
}

async function bridgeSocket(req: PortSocketRequest, port: MessagePort, openSocket: PortSocketOpener): Promise<void> {
  const send = (m: SocketFromEngine) => port.postMessage(m);
  let socket: PortSocket;
  try {
    socket = await openSocket(req.hostPort, req.path, req.protocols);
  } catch (e) {
    send({ type: 'error', message: (e as Error).message });
    port.close();
    return;
  }
  socket.onmessage = (data) => send({ type: 'message', data });
  socket.onclose = (code, reason) => {
    send({ type: 'close', code, reason });
    port.close();
  };
  port.onmessage = (e: MessageEvent<SocketFromPage>) => {
    if (e.data.type === 'send') socket.send(e.data.data);
    else socket.close(e.data.code, e.data.reason);
  };
  send({ type: 'open', protocol: socket.protocol });
}
