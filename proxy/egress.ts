import { lookup } from 'node:dns/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ProxyConfig } from './config.ts';
import { egressLogLine } from './egress-log.ts';
import { EgressPolicy } from './egress-policy.ts';
import { type EgressTarget, formatHostPort, isEgressPath, parseEgressTarget } from './egress-target.ts';
import { EgressClose, Tunnel } from './egress-tunnel.ts';

/** Largest binary message the client may send; TCP segments are far smaller. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const BAD_TARGET = 'expected /egress/<host>:<port> (a DNS name, an IPv4 address or [IPv6], and a port 1-65535)';

export interface EgressProxy {
  /**
   * For the server's 'upgrade' event: takes `/egress…` requests (true), answering a bad target
   * with 400; leaves every other upgrade (Vite's HMR socket, say) to other listeners (false).
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Plain HTTP to `/egress…` gets 400 (bad target) or 426; anything else goes to `next`, or gets a 404. */
  handle(req: IncomingMessage, res: ServerResponse, next?: () => void): void;
  /** Closes every tunnel (1001) and destroys its upstream socket. */
  close(): void;
}

/**
 * The egress endpoint: one WebSocket per outgoing TCP connection of a container. The handshake
 * always completes (a browser cannot read a refused handshake's status); the decision (origin,
 * allowlist, resolved addresses, connect) then arrives as `connected <ip>:<port>` or as a close
 * code with a reason. See proxy/README.md, "Egress".
 */
export function createEgressProxy(config: ProxyConfig): EgressProxy {
  const policy = new EgressPolicy(config.egressAllow);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const tunnels = new Set<Tunnel>();
  const logHttp = (path: string, status: number, reason: string) =>
    config.log?.(egressLogLine({ target: path, dialled: undefined, result: `http=${status}`, up: 0, down: 0, ms: 0, reason }));
  return {
    handleUpgrade(req, socket, head) {
      const path = pathOf(req);
      if (!isEgressPath(path)) return false;
      const target = parseEgressTarget(req.url ?? '');
      if (!target) {
        logHttp(path, 400, BAD_TARGET);
        const body = `${BAD_TARGET}\n`;
        socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const tunnel = new Tunnel(ws, formatHostPort(target.host, target.port), config.log);
        tunnels.add(tunnel);
        void tunnel.done.then(() => tunnels.delete(tunnel));
        void open(tunnel, req, target, policy, config);
      });
      return true;
    },
    handle(req, res, next) {
      const path = pathOf(req);
      if (!isEgressPath(path)) {
        if (next) return next();
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      if (!parseEgressTarget(req.url ?? '')) {
        logHttp(path, 400, BAD_TARGET);
        res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${BAD_TARGET}\n`);
        return;
      }
      const message = 'the egress endpoint speaks WebSocket only';
      logHttp(path, 426, message);
      res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket', Connection: 'Upgrade' }).end(`${message}\n`);
    },
    close() {
      for (const t of tunnels) t.close(EgressClose.goingAway, 'egress proxy shutting down');
      wss.close();
    },
  };
}

/** Origin, allowlist, resolved addresses, connect: the first that fails closes the tunnel with its reason. */
async function open(tunnel: Tunnel, req: IncomingMessage, target: EgressTarget, policy: EgressPolicy, config: ProxyConfig): Promise<void> {
  const where = formatHostPort(target.host, target.port);
  const origin = req.headers.origin;
  if (config.corsOrigin.trim() !== '*' && !(origin && config.corsOrigin.split(',').some((o) => o.trim() === origin))) {
    return tunnel.close(EgressClose.refused, `origin ${origin ?? '(none)'} not allowed (PROXY_CORS_ORIGIN)`);
  }
  if (!policy.allowsTarget(target)) {
    return tunnel.close(EgressClose.refused, `egress to ${where} refused: not in PROXY_EGRESS_ALLOW`);
  }
  let addresses: string[];
  try {
    addresses = target.family ? [target.host] : [...new Set((await lookup(target.host, { all: true })).map((a) => a.address))];
  } catch (e) {
    return tunnel.close(EgressClose.connectFailed, `${(e as NodeJS.ErrnoException).code ?? 'ENOTFOUND'} ${target.host}`);
  }
  const usable = addresses.filter((a) => policy.allowsAddress(a, target.port));
  if (usable.length === 0) {
    return tunnel.close(EgressClose.refused, `egress to ${where} refused: resolves to non-public ${addresses.join(', ')}`);
  }
  try {
    const { socket, address } = await connectFirst(usable, target.port, config.upstreamTimeoutMs, tunnel.signal);
    tunnel.connected(socket, formatHostPort(address, target.port));
  } catch (e) {
    tunnel.close(EgressClose.connectFailed, (e as Error).message);
  }
}

/**
 * Tries the addresses in the resolver's order, all within one timeout. Only addresses already
 * checked are dialled (no second lookup), so what was checked is what gets connected.
 */
async function connectFirst(addresses: readonly string[], port: number, timeoutMs: number, signal: AbortSignal): Promise<{ socket: Socket; address: string }> {
  const deadline = performance.now() + timeoutMs;
  let last: Error | undefined;
  for (const address of addresses) {
    const left = deadline - performance.now();
    if (left <= 0 || signal.aborted) break;
    try {
      return { socket: await connectOne(address, port, left, signal), address };
    } catch (e) {
      last = e as Error;
    }
  }
  throw last ?? timedOut(addresses[0]!, port);
}

function connectOne(address: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // Half-open: the target's FIN must not end our side before the client says `end`.
    const socket = connect({ host: address, port, allowHalfOpen: true });
    const fail = (e: Error) => {
      cleanup();
      socket.destroy();
      reject(e);
    };
    const onAbort = () => fail(new Error('tunnel closed while connecting'));
    const timer = setTimeout(() => fail(timedOut(address, port)), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.off('error', fail);
    };
    signal.addEventListener('abort', onAbort);
    socket.once('error', fail);
    socket.once('connect', () => {
      cleanup();
      resolve(socket);
    });
  });
}

function timedOut(address: string, port: number): Error {
  return Object.assign(new Error(`connect ETIMEDOUT ${formatHostPort(address, port)}`), { code: 'ETIMEDOUT' });
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '').split('?')[0]!;
}
