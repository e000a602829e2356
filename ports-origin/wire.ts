// What the published ports' origin says between its parts: the Service Worker that takes a page's
// requests, the relay page (an iframe of that origin inside the engine's tab) and the engine's tab.
// A published port lives at `<ports origin>/<host port>/…`, on an origin other than the engine's,
// so a page served by a container cannot read the engine's storage.

/** Where the engine's page, on the engine's own server, learns the ports origin (known only once it listens). */
export const PORTS_ORIGIN_ENDPOINT = '/__ports-origin.json';

/** Paths of the ports origin that belong to it, not to any container. */
export const RESERVED_PREFIX = '/__ports/';
export const SERVICE_WORKER_PATH = `${RESERVED_PREFIX}service-worker.js`;
export const RELAY_PATH = `${RESERVED_PREFIX}relay.html`;
/** A classic script the Service Worker puts first in every page it serves: WebSocket over the relay. */
export const WEBSOCKET_SHIM_PATH = `${RESERVED_PREFIX}websocket-shim.js`;

/** A request for a published port, as the Service Worker hands it on (a reply port goes with it). */
export interface PortRequest {
  readonly type: 'port-request';
  readonly hostPort: number;
  readonly method: string;
  /** Path and query inside the port: `/index.html?x=1`. */
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: ArrayBuffer | null;
}

/** The answer, over the reply port: one head, then chunks of the body, then an end or an error. */
export type PortReply =
  | { readonly type: 'head'; readonly status: number; readonly statusText: string; readonly headers: readonly (readonly [string, string])[] }
  | { readonly type: 'chunk'; readonly data: Uint8Array }
  | { readonly type: 'end' }
  | { readonly type: 'error'; readonly message: string };

/**
 * A page opens a WebSocket to a published port: sent with a MessagePort that then carries the
 * socket both ways, straight between the page and the engine's tab (the Service Worker and the
 * relay only pass the port on).
 */
export interface PortSocketRequest {
  readonly type: 'port-websocket';
  readonly hostPort: number;
  readonly path: string;
  readonly protocols: readonly string[];
}

/** Over a socket's port, from the engine's tab. */
export type SocketFromEngine =
  | { readonly type: 'open'; readonly protocol: string }
  | { readonly type: 'message'; readonly data: string | Uint8Array }
  | { readonly type: 'close'; readonly code: number; readonly reason: string }
  | { readonly type: 'error'; readonly message: string };

/** Over a socket's port, from the page. */
export type SocketFromPage =
  | { readonly type: 'send'; readonly data: string | Uint8Array }
  | { readonly type: 'close'; readonly code: number; readonly reason: string };

/** The relay page tells its parent (the engine's tab) that the Service Worker controls the origin. */
export interface RelayReady {
  readonly type: 'ports-relay-ready';
}

/** `/8080/a/b?q` → port 8080, path `/a/b?q`; undefined when the path names no port. */
export function splitPortPath(pathAndQuery: string): { hostPort: number; path: string } | undefined {
  const m = /^\/(\d{1,5})(\/.*|\?.*)?$/.exec(pathAndQuery);
  if (!m) return undefined;
  const hostPort = Number(m[1]);
  if (hostPort < 1 || hostPort > 65535) return undefined;
  const rest = m[2] ?? '/';
  return { hostPort, path: rest.startsWith('?') ? `/${rest}` : rest };
}
