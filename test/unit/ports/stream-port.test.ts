import { describe, expect, it } from 'vitest';
import { ConnectionResetError } from '../../../core/errors.ts';
import { STREAM_WINDOW, type StreamMessage } from '../../../core/protocol.ts';
import { streamPort } from '../../../core/stream-port.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function readAll(r: ReadableStream<Uint8Array>): Promise<string> {
  const reader = r.getReader();
  let s = '';
  for (let c = await reader.read(); !c.done; c = await reader.read()) s += dec.decode(c.value, { stream: true });
  return s;
}

/** The raw messages a port receives, for looking at the wire. */
function wire(port: MessagePort): StreamMessage[] {
  const got: StreamMessage[] = [];
  port.onmessage = (e: MessageEvent<StreamMessage>) => got.push(e.data);
  return got;
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('streamPort', () => {
  it('carries bytes both ways and the end of each direction', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = streamPort(port1);
    const b = streamPort(port2);
    const aw = a.writable.getWriter();
    await aw.write(enc.encode('hello '));
    await aw.write(enc.encode('world'));
    await aw.close();
    const bw = b.writable.getWriter();
    await bw.write(enc.encode('back'));
    await bw.close();
    expect(await readAll(b.readable)).toBe('hello world');
    expect(await readAll(a.readable)).toBe('back');
  });

  it('holds a writer back while a window of bytes is unacknowledged, and goes on with acks', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = streamPort(port1);
    const got = wire(port2);
    const big = new Uint8Array(STREAM_WINDOW * 3).fill(7);
    let written = false;
    const writing = a.writable
      .getWriter()
      .write(big)
      .then(() => (written = true));
    await settle();
    const bytes = () => got.reduce((n, m) => n + (m instanceof Uint8Array ? m.length : 0), 0);
    expect(bytes()).toBe(STREAM_WINDOW);
    expect(written).toBe(false);
    port2.postMessage({ ack: STREAM_WINDOW } satisfies StreamMessage);
    await settle();
    expect(bytes()).toBe(STREAM_WINDOW * 2);
    port2.postMessage({ ack: STREAM_WINDOW } satisfies StreamMessage);
    await settle();
    expect(bytes()).toBe(STREAM_WINDOW * 3);
    await writing;
    // The caller's buffer is copied, not transferred away.
    expect(big.length).toBe(STREAM_WINDOW * 3);
  });

  it('acknowledges what its reader takes', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = streamPort(port1);
    const got = wire(port2);
    port2.postMessage(new Uint8Array(1000));
    const r = a.readable.getReader();
    expect((await r.read()).value?.length).toBe(1000);
    await settle();
    expect(got).toEqual([{ ack: 1000 }]);
  });

  it('errors both directions on a reset, and sends one when its reader cancels', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = streamPort(port1);
    port2.postMessage({ reset: 'killed' } satisfies StreamMessage);
    await expect(a.readable.getReader().read()).rejects.toBeInstanceOf(ConnectionResetError);
    await expect(a.writable.getWriter().write(enc.encode('x'))).rejects.toThrow(/connection reset by peer: killed/);

    const c = new MessageChannel();
    const d = streamPort(c.port1);
    const got = wire(c.port2);
    await d.readable.cancel();
    await settle();
    expect(got).toEqual([{ reset: 'the reader went away' }]);
  });
});
