// The engine's WebSocket client against a small server written here from RFC 6455, over a pair
// of in-memory streams: the handshake's checks, masking, fragments, ping, close, and refusals.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Duplex } from '../../../core/stream-port.ts';
import { openWebSocketOverStream, WebSocketHandshakeError } from '../../../engine/ports/websocket-over-stream.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Two ends of one connection. */
function pipePair(): { client: Duplex; server: Duplex } {
  const a = new TransformStream<Uint8Array, Uint8Array>();
  const b = new TransformStream<Uint8Array, Uint8Array>();
  return { client: { readable: a.readable, writable: b.writable }, server: { readable: b.readable, writable: a.writable } };
}

/** A server frame: unmasked, as servers send. */
function serverFrame(op: number, payload: Uint8Array, fin = true): Uint8Array {
  const n = payload.byteLength;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = new Uint8Array(2 + ext + n);
  out[0] = (fin ? 0x80 : 0) | op;
  out[1] = n < 126 ? n : n < 65536 ? 126 : 127;
  if (ext === 2) new DataView(out.buffer).setUint16(2, n);
  if (ext === 8) new DataView(out.buffer).setBigUint64(2, BigInt(n));
  out.set(payload, 2 + ext);
  return out;
}

/** Reads the client's frames off the server side: [opcode, unmasked payload, was masked]. */
async function* clientFrames(take: (n: number) => Promise<Uint8Array>) {
  for (;;) {
    const h = await take(2);
    const op = h[0]! & 0x0f;
    const masked = (h[1]! & 0x80) !== 0;
    let len = h[1]! & 0x7f;
    if (len === 126) len = new DataView((await take(2)).buffer).getUint16(0);
    else if (len === 127) len = Number(new DataView((await take(8)).buffer).getBigUint64(0));
    const mask = masked ? await take(4) : new Uint8Array(4);
    const p = await take(len);
    for (let i = 0; i < p.length; i++) p[i]! ^= mask[i & 3]!;
    yield [op, p, masked] as const;
  }
}

/** The server side: answers the upgrade (or not), then hands out a reader of client frames and a writer. */
async function serve(server: Duplex, answer: (key: string, req: string) => string) {
  const reader = server.readable.getReader();
  const writer = server.writable.getWriter();
  let buf = new Uint8Array(0);
  const more = async () => {
    const r = await reader.read();
    if (r.done) throw new Error('client closed');
    const n = new Uint8Array(buf.length + r.value.length);
    n.set(buf);
    n.set(r.value, buf.length);
    buf = n;
    return buf;
  };
  const take = async (n: number) => {
    while (buf.length < n) await more();
    const out = buf.slice(0, n);
    buf = buf.subarray(n);
    return out;
  };
  while (!dec.decode(buf).includes('\r\n\r\n')) await more();
  const text = dec.decode(buf);
  const end = text.indexOf('\r\n\r\n') + 4;
  buf = buf.subarray(end);
  const req = text.slice(0, end);
  const key = /Sec-WebSocket-Key: (\S+)/.exec(req)![1]!;
  await writer.write(enc.encode(answer(key, req)));
  return { req, writer, frames: clientFrames(take) };
}

const accept = (key: string) => createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
const ok =
  (proto = '') =>
  (key: string) =>
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n${proto ? `Sec-WebSocket-Protocol: ${proto}\r\n` : ''}\r\n`;

describe('openWebSocketOverStream', () => {
  it('upgrades, sends masked frames, reassembles fragments, answers a ping and closes cleanly', async () => {
    const { client, server } = pipePair();
    const served = serve(server, ok('chat'));
    const ws = await openWebSocketOverStream(client, { host: 'web:80', path: '/ws?x=1', protocols: ['chat', 'v2'] });
    const { req, writer, frames } = await served;
    expect(req).toMatch(/^GET \/ws\?x=1 HTTP\/1\.1\r\n/);
    expect(req).toContain('Host: web:80\r\n');
    expect(req).toContain('Sec-WebSocket-Protocol: chat, v2\r\n');
    expect(ws.protocol).toBe('chat');

    const got: (string | number[])[] = [];
    const closed = new Promise<[number, string]>((r) => (ws.onclose = (c, why) => r([c, why])));
    ws.onmessage = (d) => got.push(typeof d === 'string' ? d : [...d]);

    ws.send('hello');
    ws.send(new Uint8Array(70_000).fill(7));
    const f1 = (await frames.next()).value!;
    expect([f1[0], dec.decode(f1[1]), f1[2]]).toEqual([1, 'hello', true]);
    const f2 = (await frames.next()).value!;
    expect([f2[0], f2[1].length, f2[1].every((b) => b === 7), f2[2]]).toEqual([2, 70_000, true, true]);

    await writer.write(serverFrame(0x1, enc.encode('frag-'), false));
    await writer.write(serverFrame(0x9, enc.encode('are you there')));
    await writer.write(serverFrame(0x0, enc.encode('ment'), true));
    await writer.write(serverFrame(0x2, new Uint8Array([1, 2, 3])));
    const pong = (await frames.next()).value!;
    expect([pong[0], dec.decode(pong[1])]).toEqual([0xa, 'are you there']);

    const close = new Uint8Array([0x03, 0xe8, ...enc.encode('bye')]);
    await writer.write(serverFrame(0x8, close));
    expect(await closed).toEqual([1000, 'bye']);
    const echoClose = (await frames.next()).value!;
    expect([echoClose[0], new DataView(echoClose[1].buffer).getUint16(0)]).toEqual([8, 1000]);
    expect(got).toEqual(['frag-ment', [1, 2, 3]]);
  });

  it('refuses a server that does not upgrade, or answers with the wrong key, or picks an unoffered protocol', async () => {
    const cases: [(key: string, req: string) => string, RegExp][] = [
      [() => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', /refused the WebSocket upgrade: HTTP\/1.1 404/],
      [() => 'HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: nope\r\n\r\n', /Accept does not match/],
      [(k) => ok('other')(k), /subprotocol not offered: other/],
    ];
    for (const [answer, message] of cases) {
      const { client, server } = pipePair();
      void serve(server, answer);
      const err = await openWebSocketOverStream(client, { host: 'h', path: '/', protocols: ['chat'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WebSocketHandshakeError);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('reports 1006 when the connection ends without a close frame', async () => {
    const { client, server } = pipePair();
    const served = serve(server, ok());
    const ws = await openWebSocketOverStream(client, { host: 'h', path: '/' });
    const closed = new Promise<number>((r) => (ws.onclose = (c) => r(c)));
    await (await served).writer.close();
    expect(await closed).toBe(1006);
  });
});
