// The process's end of a connection (node/wasi/socket-connection.ts) and its listening sockets
// (socket-hub.ts), against a raw MessagePort playing the engine.
import { wasi } from '@bjorn3/browser_wasi_shim';
import { describe, expect, it } from 'vitest';
import { STREAM_WINDOW, type StreamMessage } from '../../../core/protocol.ts';
import { Errno } from '../../../node/fs/errno.ts';
import { SocketConnection } from '../../../node/wasi/socket-connection.ts';
import { SocketHub } from '../../../node/wasi/socket-hub.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const settle = () => new Promise((r) => setTimeout(r, 10));

function pair(): { conn: SocketConnection; engine: MessagePort; got: StreamMessage[] } {
  const { port1, port2 } = new MessageChannel();
  const got: StreamMessage[] = [];
  port2.onmessage = (e: MessageEvent<StreamMessage>) => got.push(e.data);
  return { conn: new SocketConnection(port1, () => undefined), engine: port2, got };
}

const errnoOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof Errno) return e.code;
    throw e;
  }
  return 0;
};

describe('SocketConnection', () => {
  it('reads what arrived (peeking leaves it), acknowledges what it read, ends at the peer’s end', async () => {
    const { conn, engine, got } = pair();
    expect(conn.read(10)).toBeUndefined();
    engine.postMessage(enc.encode('hello '));
    engine.postMessage(enc.encode('world'));
    engine.postMessage(null);
    await settle();
    expect(conn.readReady).toBe(true);
    expect(dec.decode(conn.read(8, true))).toBe('hello wo');
    expect(dec.decode(conn.read(8))).toBe('hello wo');
    expect(dec.decode(conn.read(100))).toBe('rld');
    expect(conn.hungUp).toBe(true);
    expect(conn.read(100)).toEqual(new Uint8Array(0));
    await settle();
    expect(got).toEqual([{ ack: 11 }]);
  });

  it('sends within the window, then waits for acknowledgements', async () => {
    const { conn, engine, got } = pair();
    const big = new Uint8Array(STREAM_WINDOW + 10);
    let sent = 0;
    for (let n = conn.write(big.subarray(sent)); n !== undefined; n = conn.write(big.subarray(sent))) sent += n;
    expect(sent).toBe(STREAM_WINDOW);
    expect(conn.writeReady).toBe(false);
    engine.postMessage({ ack: 1000 } satisfies StreamMessage);
    await settle();
    expect(conn.write(big.subarray(sent))).toBe(10);
    await settle();
    expect(got.reduce((n, m) => n + (m instanceof Uint8Array ? m.length : 0), 0)).toBe(STREAM_WINDOW + 10);
  });

  it('shuts down writing with an end, refuses writes after it, and resets a peer that ignores the window', async () => {
    const { conn, engine, got } = pair();
    conn.shutdown(false, true);
    expect(errnoOf(() => conn.write(enc.encode('x')))).toBe(wasi.ERRNO_PIPE);
    for (let i = 0; i < 9; i++) engine.postMessage(new Uint8Array(STREAM_WINDOW / 4));
    await settle();
    expect(got[0]).toBeNull();
    expect(got.at(-1)).toEqual({ reset: `receive buffer overflow: the peer sent past its window of ${STREAM_WINDOW} bytes` });
  });

  it('resets on close with data unread, and turns a reset into ECONNRESET', async () => {
    const a = pair();
    a.engine.postMessage(enc.encode('unread'));
    await settle();
    a.conn.close();
    await settle();
    expect(a.got).toEqual([null, { reset: 'connection reset by peer: unread data at close' }]);
    const b = pair();
    b.engine.postMessage({ reset: 'gone' } satisfies StreamMessage);
    await settle();
    expect(errnoOf(() => b.conn.read(1))).toBe(wasi.ERRNO_CONNRESET);
  });
});

describe('SocketHub', () => {
  it('queues connections for accept, refuses ports not listened on, and refuses all after closeAll', async () => {
    const hub = new SocketHub([8080]);
    const refused: StreamMessage[] = [];
    const c1 = new MessageChannel();
    const c2 = new MessageChannel();
    c2.port2.onmessage = (e: MessageEvent<StreamMessage>) => refused.push(e.data);
    const changed = hub.changed();
    hub.connect(8080, c1.port1);
    await changed;
    hub.connect(9090, c2.port1);
    const l = hub.listeners[0]!;
    expect(hub.accept(l)).toBeInstanceOf(SocketConnection);
    expect(hub.accept(l)).toBeUndefined();
    hub.closeAll();
    const c3 = new MessageChannel();
    c3.port2.onmessage = (e: MessageEvent<StreamMessage>) => refused.push(e.data);
    hub.connect(8080, c3.port1);
    await settle();
    expect(refused).toEqual([{ reset: 'connection refused' }, { reset: 'connection refused' }]);
  });
});
