// A WebSocket client (RFC 6455) over a byte stream to a container: what the engine speaks to a
// server in a container when a page served from a published port opens a WebSocket (a Service
// Worker cannot carry one, so the page's socket is relayed to the engine and re-made here).
import { ByteReader } from '../../core/byte-reader.ts';
import { concatBytes } from '../../core/concat-bytes.ts';
import type { Duplex } from '../../core/stream-port.ts';

export class WebSocketHandshakeError extends Error {
  override readonly name = 'WebSocketHandshakeError';
}

export interface StreamWebSocket {
  /** The subprotocol the server chose, or ''. */
  readonly protocol: string;
  send(data: string | Uint8Array): void;
  close(code: number, reason: string): void;
  onmessage: ((data: string | Uint8Array) => void) | null;
  onclose: ((code: number, reason: string) => void) | null;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const enc = new TextEncoder();
/** The most the server's handshake answer may take. */
const MAX_HEAD = 16 * 1024;
const MAX_MESSAGE = 64 * 1024 * 1024;

const base64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));

async function acceptFor(key: string): Promise<string> {
  return base64(new Uint8Array(await crypto.subtle.digest('SHA-1', enc.encode(key + GUID))));
}

function frame(opcode: number, payload: Uint8Array): Uint8Array {
  const n = payload.byteLength;
  const lenBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = new Uint8Array(2 + lenBytes + 4 + n);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | (n < 126 ? n : n < 65536 ? 126 : 127);
  const view = new DataView(out.buffer);
  if (lenBytes === 2) view.setUint16(2, n);
  else if (lenBytes === 8) view.setBigUint64(2, BigInt(n));
  // Client frames are masked (RFC 6455 §5.3).
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const at = 2 + lenBytes;
  out.set(mask, at);
  for (let i = 0; i < n; i++) out[at + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

function closePayload(code: number, reason: string): Uint8Array {
  const r = enc.encode(reason).subarray(0, 123);
  const out = new Uint8Array(2 + r.byteLength);
  new DataView(out.buffer).setUint16(0, code);
  out.set(r, 2);
  return out;
}

/** Opens a WebSocket to `path` over `stream` (an HTTP/1.1 Upgrade, then frames). */
export async function openWebSocketOverStream(stream: Duplex, opts: { host: string; path: string; protocols?: readonly string[] }): Promise<StreamWebSocket> {
  const key = base64(crypto.getRandomValues(new Uint8Array(16)));
  const writer = stream.writable.getWriter();
  const reader = new ByteReader(stream.readable.getReader());
  const protocols = opts.protocols ?? [];
  const head = [
    `GET ${opts.path} HTTP/1.1`,
    `Host: ${opts.host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
    ...(protocols.length ? [`Sec-WebSocket-Protocol: ${protocols.join(', ')}`] : []),
  ];
  await writer.write(enc.encode(`${head.join('\r\n')}\r\n\r\n`));
  const raw = await reader.until(enc.encode('\r\n\r\n'), MAX_HEAD, () => new WebSocketHandshakeError('the server’s response head is too long'));
  const res = raw && new TextDecoder('latin1').decode(raw.subarray(0, -4));
  if (res === undefined) throw new WebSocketHandshakeError('the server closed the connection before answering the WebSocket upgrade');
  const [status, ...lines] = res.split('\r\n');
  if (!/^HTTP\/1\.1 101\b/.test(status ?? '')) throw new WebSocketHandshakeError(`the server refused the WebSocket upgrade: ${status}`);
  const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  if (headers.get('sec-websocket-accept') !== (await acceptFor(key)))
    throw new WebSocketHandshakeError('the server’s Sec-WebSocket-Accept does not match the key');
  const protocol = headers.get('sec-websocket-protocol') ?? '';
  if (protocol && !protocols.includes(protocol)) throw new WebSocketHandshakeError(`the server chose a subprotocol not offered: ${protocol}`);

  let closed = false;
  let closeSent = false;
  const write = (bytes: Uint8Array) => void writer.write(bytes).catch(() => undefined);
  const sock: StreamWebSocket = {
    protocol,
    onmessage: null,
    onclose: null,
    send(data) {
      if (closeSent) return;
      write(typeof data === 'string' ? frame(0x1, enc.encode(data)) : frame(0x2, data));
    },
    close(code, reason) {
      if (closeSent) return;
      closeSent = true;
      write(frame(0x8, closePayload(code, reason)));
    },
  };
  const finish = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    void writer.close().catch(() => undefined);
    sock.onclose?.(code, reason);
  };

  void (async () => {
    let parts: Uint8Array[] = [];
    let partsOp = 0;
    let partsLen = 0;
    try {
      for (;;) {
        const h = await reader.exactly(2);
        if (!h) return finish(1006, '');
        const fin = (h[0]! & 0x80) !== 0;
        const op = h[0]! & 0x0f;
        const masked = (h[1]! & 0x80) !== 0;
        let len = h[1]! & 0x7f;
        if (len === 126) len = new DataView((await reader.exactly(2))!.buffer).getUint16(0);
        else if (len === 127) len = Number(new DataView((await reader.exactly(8))!.buffer).getBigUint64(0));
        if (len > MAX_MESSAGE || partsLen + len > MAX_MESSAGE) return finish(1009, 'message too big');
        const mask = masked ? await reader.exactly(4) : undefined;
        const payload = (await reader.exactly(len)) ?? new Uint8Array(0);
        if (mask) for (let i = 0; i < payload.byteLength; i++) payload[i]! ^= mask[i & 3]!;
        if (op === 0x8) {
          const code = payload.byteLength >= 2 ? new DataView(payload.buffer).getUint16(0) : 1005;
          const reason = new TextDecoder().decode(payload.subarray(2));
          if (!closeSent) {
            closeSent = true;
            write(frame(0x8, payload.subarray(0, 2)));
          }
          return finish(code, reason);
        }
        if (op === 0x9) write(frame(0xa, payload));
        if (op >= 0x8) continue;
        if (op !== 0) partsOp = op;
        parts.push(payload);
        partsLen += payload.byteLength;
        if (!fin) continue;
        const whole = parts.length === 1 ? parts[0]! : concatBytes(parts);
        parts = [];
        partsLen = 0;
        sock.onmessage?.(partsOp === 0x1 ? new TextDecoder().decode(whole) : whole);
      }
    } catch {
      finish(1006, '');
    }
  })();
  return sock;
}
