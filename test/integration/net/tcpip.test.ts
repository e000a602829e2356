// The engine's own TCP/IP stack (net/tcpip): two lwIP instances in wasm wired by an in-memory
// Ethernet cable, exercised through TcpIpStack's streams.
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../../core/errors.ts';
import {
  TcpAbortedError,
  TcpAddressInUseError,
  type TcpConnection,
  TcpError,
  TcpIpStack,
  TcpRefusedError,
  TcpResetError,
  TcpTimedOutError,
} from '../../../net/tcpip/index.ts';
import { loadLwipModule } from '../../support/lwip-module.ts';
import { MemoryWire, type WireOptions } from '../../support/memory-wire.ts';

let lwip: WebAssembly.Module;

beforeAll(() => {
  lwip = loadLwipModule();
});

const stacks: TcpIpStack[] = [];
afterEach(() => {
  for (const s of stacks.splice(0)) s.close();
});

async function pair(options: WireOptions = {}) {
  const a = await TcpIpStack.create(lwip, { mac: '02:00:00:00:00:01', address: '10.0.0.1', prefix: 24 });
  const b = await TcpIpStack.create(lwip, { mac: '02:00:00:00:00:02', address: '10.0.0.2', prefix: 24 });
  stacks.push(a, b);
  const wire = new MemoryWire(a, b, options);
  return { a, b, wire };
}

/** A listener on b and a connection from a to it: [client side, server side]. */
async function connected(options: WireOptions = {}, port = 7000) {
  const { a, b, wire } = await pair(options);
  const accepted = new Promise<TcpConnection>((resolve) => b.listen(port, resolve));
  const client = await a.connect('10.0.0.2', port);
  return { a, b, wire, client, server: await accepted };
}

async function readAll(readable: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const reader = readable.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  return Buffer.concat(chunks);
}

async function writeAll(writable: WritableStream<Uint8Array>, data: Uint8Array, chunkSize: number, close = true): Promise<void> {
  const writer = writable.getWriter();
  for (let i = 0; i < data.length; i += chunkSize) {
    await writer.ready;
    await writer.write(data.subarray(i, i + chunkSize));
  }
  if (close) await writer.close();
  writer.releaseLock();
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/** A repeatable source of randomness (mulberry32), so a failing lossy run can be replayed. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ARP and ICMP', () => {
  it('resolves the peer by ARP once, then pings it', async () => {
    const frames: { from: 'a' | 'b'; type: number; op?: number; icmp?: number }[] = [];
    const { a } = await pair({
      tap: (f, from) => {
        const type = (f[12]! << 8) | f[13]!;
        frames.push({ from, type, ...(type === 0x0806 ? { op: f[21] } : {}), ...(type === 0x0800 && f[23] === 1 ? { icmp: f[34] } : {}) });
      },
    });
    expect(await a.ping('10.0.0.2')).toBeGreaterThanOrEqual(0);
    expect(await a.ping('10.0.0.2')).toBeGreaterThanOrEqual(0);
    const arp = frames.filter((f) => f.type === 0x0806);
    expect(arp).toEqual([
      { from: 'a', type: 0x0806, op: 1 },
      { from: 'b', type: 0x0806, op: 2 },
    ]);
    const icmp = frames.filter((f) => f.icmp !== undefined).map((f) => `${f.from}:${f.icmp}`);
    expect(icmp).toEqual(['a:8', 'b:0', 'a:8', 'b:0']);
  });

  it('times out a ping to an address nobody has', async () => {
    const { a } = await pair();
    const e = await rejection(a.ping('10.0.0.99', 300));
    expect(e).toBeInstanceOf(TcpTimedOutError);
    expect(e).toMatchObject({ code: 'ETIMEDOUT' });
  });
});

describe('TCP', () => {
  it('completes a handshake: each side sees the other endpoint', async () => {
    const { client, server } = await connected();
    expect(client.remote).toEqual({ address: '10.0.0.2', port: 7000 });
    expect(client.local.address).toBe('10.0.0.1');
    expect(server.local).toEqual({ address: '10.0.0.2', port: 7000 });
    expect(server.remote).toEqual(client.local);
  });

  it('carries 1 MB each way at once, byte-exact', async () => {
    const { client, server } = await connected();
    const up = randomBytes(1 << 20);
    const down = randomBytes(1 << 20);
    const [gotUp, gotDown] = await Promise.all([
      readAll(server.readable),
      readAll(client.readable),
      writeAll(client.writable, up, 64 * 1024),
      writeAll(server.writable, down, 50_000),
    ]);
    expect(sha(gotUp)).toBe(sha(up));
    expect(sha(gotDown)).toBe(sha(down));
    await Promise.all([client.closed, server.closed]);
  });

  it('keeps many small writes in order', async () => {
    const { client, server } = await connected();
    const data = randomBytes(60_000);
    const writer = client.writable.getWriter();
    const sending = (async () => {
      for (let i = 0, n = 1; i < data.length; i += n, n = (n % 23) + 1) await writer.write(data.subarray(i, i + n));
      await writer.close();
    })();
    const got = await readAll(server.readable);
    await sending;
    expect(sha(got)).toBe(sha(data));
  });

  it('half-closes from the client: the server reads to the end, answers, then closes', async () => {
    const { client, server } = await connected();
    await writeAll(client.writable, new TextEncoder().encode('request'), 1024);
    expect((await readAll(server.readable)).toString()).toBe('request');
    const answer = readAll(client.readable);
    await writeAll(server.writable, new TextEncoder().encode('answer after FIN'), 1024);
    expect((await answer).toString()).toBe('answer after FIN');
    await Promise.all([client.closed, server.closed]);
  });

  it('half-closes from the server first', async () => {
    const { client, server } = await connected();
    await writeAll(server.writable, new TextEncoder().encode('banner'), 1024);
    expect((await readAll(client.readable)).toString()).toBe('banner');
    const request = readAll(server.readable);
    await writeAll(client.writable, new TextEncoder().encode('bye'), 1024);
    expect((await request).toString()).toBe('bye');
    await Promise.all([client.closed, server.closed]);
  });

  it('still delivers unread data after both sides closed and lwIP freed the connection', async () => {
    const { client, server } = await connected();
    const data = randomBytes(100_000);
    await writeAll(server.writable, data, 10_000);
    // The client closes its side before reading: its pcb goes CLOSE_WAIT -> LAST_ACK -> freed,
    // and the server's goes to TIME_WAIT, both while the data still waits in the client's reader.
    await client.writable.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(sha(await readAll(client.readable))).toBe(sha(data));
    expect((await readAll(server.readable)).length).toBe(0);
    await Promise.all([client.closed, server.closed]);
  });

  it('opens and closes 400 connections one after another (more than lwIP has pcbs for)', async () => {
    const { a, b } = await pair();
    b.listen(7, (c) => void c.readable.pipeTo(c.writable));
    for (let i = 0; i < 400; i++) {
      const c = await a.connect('10.0.0.2', 7);
      const reading = readAll(c.readable);
      await writeAll(c.writable, new TextEncoder().encode(`#${i}`), 16);
      expect((await reading).toString()).toBe(`#${i}`);
      await c.closed;
    }
  });

  it('surfaces a reset as TcpResetError on the other side, TcpAbortedError on this one', async () => {
    const { client, server } = await connected();
    const reading = rejection(readAll(server.readable));
    const writer = client.writable.getWriter();
    await writer.write(new Uint8Array(100));
    client.reset();
    expect(await reading).toBeInstanceOf(TcpResetError);
    expect(await rejection(server.closed)).toMatchObject({ code: 'ECONNRESET' });
    expect(await rejection(client.closed)).toBeInstanceOf(TcpAbortedError);
    expect(await rejection(writer.write(new Uint8Array(1)))).toBeInstanceOf(TcpAbortedError);
    await expect(server.writable.getWriter().write(new Uint8Array(1))).rejects.toBeInstanceOf(TcpResetError);
  });

  it('refuses a connection to a port nobody listens on', async () => {
    const { a, b } = await pair();
    b.listen(80, () => {});
    const e = await rejection(a.connect('10.0.0.2', 81));
    expect(e).toBeInstanceOf(TcpRefusedError);
    expect(e).toBeInstanceOf(TcpError);
    expect(e).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('ties backpressure to the window and send buffer: a reader that does not read stops the writer', async () => {
    const { client, server } = await connected();
    const writer = client.writable.getWriter();
    const chunk = randomBytes(64 * 1024);
    let written = 0;
    for (;;) {
      const done = writer.write(chunk).then(() => true);
      const stalled = new Promise<false>((r) => setTimeout(() => r(false), 300));
      if (!(await Promise.race([done, stalled]))) break;
      written += chunk.length;
      expect(written).toBeLessThan(4 << 20);
    }
    // The receiver's 256 KiB window plus the sender's 256 KiB buffer (lwipopts.h), give or take a chunk.
    expect(written).toBeGreaterThanOrEqual(384 * 1024);
    expect(written).toBeLessThanOrEqual(576 * 1024);
    const closing = writer.close();
    const got = await readAll(server.readable);
    await closing;
    expect(got.length).toBe(written + chunk.length);
  });

  it('delivers byte-exact over a wire that drops 5% of frames and reorders some', async () => {
    const { client, server, wire } = await connected({ dropRate: 0.05, reorderRate: 0.03, random: seeded(11) });
    const up = randomBytes(512 * 1024);
    const down = randomBytes(256 * 1024);
    const [gotUp, gotDown] = await Promise.all([
      readAll(server.readable),
      readAll(client.readable),
      writeAll(client.writable, up, 16 * 1024),
      writeAll(server.writable, down, 16 * 1024),
    ]);
    expect(sha(gotUp)).toBe(sha(up));
    expect(sha(gotDown)).toBe(sha(down));
    expect(wire.stats.dropped).toBeGreaterThan(10);
    expect(wire.stats.reordered).toBeGreaterThan(5);
  }, 60_000);

  it('serves several connections to one listener at once', async () => {
    const { a, b } = await pair();
    b.listen(9000, (c) => void c.readable.pipeTo(c.writable)); // an echo server
    const replies = await Promise.all(
      [1, 2, 3, 4, 5].map(async (i) => {
        const c = await a.connect('10.0.0.2', 9000);
        const reading = readAll(c.readable);
        await writeAll(c.writable, new TextEncoder().encode(`hello ${i}`.repeat(1000)), 777);
        return (await reading).toString();
      }),
    );
    expect(replies).toEqual([1, 2, 3, 4, 5].map((i) => `hello ${i}`.repeat(1000)));
  });

  it('refuses a second listener on the same port', async () => {
    const { b } = await pair();
    const first = b.listen(8080, () => {});
    expect(() => b.listen(8080, () => {})).toThrow(TcpAddressInUseError);
    first.close();
    b.listen(8080, () => {}).close();
  });

  it('rejects bad addresses and ports with InvalidParameterError', async () => {
    const { a } = await pair();
    expect(() => a.connect('10.0.0.256', 80)).toThrow(InvalidParameterError);
    expect(() => a.connect('10.0.0.2', 70000)).toThrow(InvalidParameterError);
    expect(() => a.listen(0, () => {})).toThrow(InvalidParameterError);
    await expect(TcpIpStack.create(lwip, { mac: '01:00:00:00:00:01', address: '10.0.0.3', prefix: 24 })).rejects.toThrow(InvalidParameterError);
    await expect(TcpIpStack.create(lwip, { mac: '02:00:00:00:00:03', address: '10.0.0.3', prefix: 33 })).rejects.toThrow(InvalidParameterError);
  });
});
