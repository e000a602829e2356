// One lwIP stack speaking for several addresses on one Ethernet segment (TcpIpStack.addAddress):
// stack a talks to stack b's primary address and to an extra address X of b, over an in-memory
// wire whose tap shows which MAC each of b's frames leaves with.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../../core/errors.ts';
import { formatIpv4, formatMac, parseIpv4, parseMac, readIpv4, writeIpv4 } from '../../../core/net/address.ts';
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
import { MemoryWire } from '../../support/memory-wire.ts';

let lwip: WebAssembly.Module;

beforeAll(() => {
  lwip = loadLwipModule();
});

const stacks: TcpIpStack[] = [];
afterEach(() => {
  for (const s of stacks.splice(0)) s.close();
});

const A = { mac: '02:00:00:00:00:01', address: '10.0.0.1' };
const B = { mac: '02:00:00:00:00:02', address: '10.0.0.2' };
const X = { mac: '02:00:00:00:00:03', address: '10.0.0.3' };

/** What the tap saw of one frame: Ethernet source, and the IPv4 or ARP fields the tests check. */
interface Seen {
  readonly from: 'a' | 'b';
  readonly srcMac: string;
  readonly dstMac: string;
  readonly arp?: { readonly op: number; readonly senderMac: string; readonly senderIp: string; readonly targetIp: string };
  readonly ip?: { readonly src: string; readonly dst: string; readonly protocol: number; readonly reset: boolean };
}

function seen(f: Uint8Array, from: 'a' | 'b'): Seen {
  const type = (f[12]! << 8) | f[13]!;
  const base = { from, dstMac: formatMac(f.subarray(0, 6)), srcMac: formatMac(f.subarray(6, 12)) };
  if (type === 0x0806) {
    const arp = {
      op: (f[20]! << 8) | f[21]!,
      senderMac: formatMac(f.subarray(22, 28)),
      senderIp: formatIpv4(readIpv4(f, 28)),
      targetIp: formatIpv4(readIpv4(f, 38)),
    };
    return { ...base, arp };
  }
  if (type === 0x0800) {
    const tcpFlags = f[14 + (f[14]! & 15) * 4 + 13]!;
    return {
      ...base,
      ip: { src: formatIpv4(readIpv4(f, 26)), dst: formatIpv4(readIpv4(f, 30)), protocol: f[23]!, reset: f[23] === 6 && (tcpFlags & 4) !== 0 },
    };
  }
  return base;
}

/** a and b on a wire, b also speaking for X; `frames` is everything the wire carried. */
async function pair() {
  const a = await TcpIpStack.create(lwip, { ...A, prefix: 24 });
  const b = await TcpIpStack.create(lwip, { ...B, prefix: 24 });
  stacks.push(a, b);
  const frames: Seen[] = [];
  new MemoryWire(a, b, { tap: (f, from) => frames.push(seen(f, from)) });
  const x = b.addAddress(X.address, X.mac);
  return { a, b, x, frames };
}

/** An ARP request from a for `target`, as a would send it. */
function arpRequest(target: string): Uint8Array {
  const f = new Uint8Array(42);
  f.fill(0xff, 0, 6);
  f.set(parseMac(A.mac), 6);
  f.set([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1], 12);
  f.set(parseMac(A.mac), 22);
  writeIpv4(f, 28, parseIpv4(A.address));
  writeIpv4(f, 38, parseIpv4(target));
  return f;
}

async function readAll(readable: ReadableStream<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  const reader = readable.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  return Buffer.concat(chunks).toString();
}

async function send(writable: WritableStream<Uint8Array>, text: string): Promise<void> {
  const writer = writable.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
}

/** An echo exchange over a fresh connection from a; returns the reply. */
async function echo(a: TcpIpStack, address: string, port: number, text: string): Promise<string> {
  const c = await a.connect(address, port);
  const reply = readAll(c.readable);
  await send(c.writable, text);
  return reply;
}

const echoServer = (c: TcpConnection) => void c.readable.pipeTo(c.writable);
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('an extra address', () => {
  it('carries a connection both ways, from its own address and MAC, after answering ARP with that MAC', async () => {
    const { a, b, x, frames } = await pair();
    expect(x).toMatchObject(X);
    b.addAddress('10.0.0.4', '02:00:00:00:00:04'); // newer than X: lwIP's own routing would pick it
    const accepted = new Promise<TcpConnection>((resolve) => b.listen(7000, resolve));
    const client = await a.connect(X.address, 7000);
    const server = await accepted;
    expect(server.local).toEqual({ address: X.address, port: 7000 });
    expect(client.remote).toEqual({ address: X.address, port: 7000 });
    const [up, down] = await Promise.all([readAll(server.readable), readAll(client.readable), send(client.writable, 'to X'), send(server.writable, 'from X')]);
    expect([up, down]).toEqual(['to X', 'from X']);
    await Promise.all([client.closed, server.closed]);

    const replies = frames.filter((f) => f.from === 'b' && f.arp?.op === 2);
    expect(replies).toEqual([expect.objectContaining({ srcMac: X.mac, arp: { op: 2, senderMac: X.mac, senderIp: X.address, targetIp: A.address } })]);
    const fromX = frames.filter((f) => f.from === 'b' && f.ip?.src === X.address);
    expect(fromX.length).toBeGreaterThanOrEqual(4); // SYN-ACK, data, FIN, ACKs
    expect(new Set(fromX.map((f) => f.srcMac))).toEqual(new Set([X.mac]));
    expect(new Set(frames.filter((f) => f.from === 'a' && f.ip?.dst === X.address).map((f) => f.dstMac))).toEqual(new Set([X.mac]));
  });

  it('answers ping, as the primary still does', async () => {
    const { a } = await pair();
    expect(await a.ping(X.address)).toBeGreaterThanOrEqual(0);
    expect(await a.ping(B.address)).toBeGreaterThanOrEqual(0);
  });

  it('leaves connect() on the primary address and MAC, though lwIP lists the newest netif first', async () => {
    const { a, b, frames } = await pair();
    const accepted = new Promise<TcpConnection>((resolve) => a.listen(8000, resolve));
    const client = await b.connect(A.address, 8000);
    expect(client.local.address).toBe(B.address);
    expect((await accepted).remote).toEqual(client.local);
    const fromB = frames.filter((f) => f.from === 'b' && f.ip?.protocol === 6);
    expect(fromB.length).toBeGreaterThan(0);
    expect(new Set(fromB.map((f) => `${f.srcMac} ${f.ip?.src}`))).toEqual(new Set([`${B.mac} ${B.address}`]));
    expect(await b.ping(A.address)).toBeGreaterThanOrEqual(0);
  });
});

describe('listeners bound to an address', () => {
  it('share a port across addresses, each getting only its own connections', async () => {
    const { a, b } = await pair();
    const locals: string[] = [];
    b.listen(
      80,
      (c) => {
        locals.push(`primary ${c.local.address}`);
        echoServer(c);
      },
      B.address,
    );
    b.listen(
      80,
      (c) => {
        locals.push(`x ${c.local.address}`);
        void send(c.writable, 'X here');
      },
      X.address,
    );
    expect(await echo(a, B.address, 80, 'hello primary')).toBe('hello primary');
    expect(await echo(a, X.address, 80, 'ignored')).toBe('X here');
    expect(await echo(a, B.address, 80, 'again')).toBe('again');
    expect(locals).toEqual([`primary ${B.address}`, `x ${X.address}`, `primary ${B.address}`]);
  });

  it('refuses on the primary what listens on X only, and still refuses a second bind of the same port and address', async () => {
    const { a, b } = await pair();
    b.listen(81, echoServer, X.address);
    expect(await rejection(a.connect(B.address, 81))).toBeInstanceOf(TcpRefusedError);
    expect(await echo(a, X.address, 81, 'on X')).toBe('on X');
    expect(() => b.listen(81, () => {}, X.address)).toThrow(TcpAddressInUseError);
    expect(() => b.listen(81, () => {})).toThrow(TcpAddressInUseError); // any address overlaps X (no SO_REUSEADDR)
  });

  it('accepts on every address when bound to none', async () => {
    const { a, b } = await pair();
    const locals: string[] = [];
    b.listen(82, (c) => {
      locals.push(c.local.address);
      echoServer(c);
    });
    expect(await echo(a, X.address, 82, 'x')).toBe('x');
    expect(await echo(a, B.address, 82, 'b')).toBe('b');
    expect(locals).toEqual([X.address, B.address]);
  });
});

describe('removing an address', () => {
  it('resets its connections, closes its listeners and stops answering for it', async () => {
    const { a, b, x, frames } = await pair();
    const accepted = new Promise<TcpConnection>((resolve) => b.listen(7000, resolve, X.address));
    const onPrimary = b.listen(7001, echoServer, B.address);
    const client = await a.connect(X.address, 7000);
    const server = await accepted;
    const clientReading = rejection(readAll(client.readable));
    const serverReading = rejection(readAll(server.readable));

    x.remove();
    expect(await clientReading).toBeInstanceOf(TcpResetError);
    expect(await serverReading).toBeInstanceOf(TcpAbortedError);
    // The reset left from X's MAC, before its netif went.
    expect(frames.filter((f) => f.from === 'b' && f.ip?.reset)).toEqual([
      expect.objectContaining({ srcMac: X.mac, ip: expect.objectContaining({ src: X.address }) }),
    ]);

    // a still has X's MAC in its ARP cache: its ping reaches b, which drops it as nobody's.
    const dropped = b.unknownMacFrames;
    expect(await rejection(a.ping(X.address, 300))).toBeInstanceOf(TcpTimedOutError);
    expect(b.unknownMacFrames).toBe(dropped + 1);
    // A fresh ARP request for X gets no answer; one for the primary does.
    const before = frames.length;
    b.input(arpRequest(X.address));
    b.input(arpRequest(B.address));
    await settle(20);
    expect(
      frames
        .slice(before)
        .filter((f) => f.from === 'b' && f.arp?.op === 2)
        .map((f) => f.arp?.senderIp),
    ).toEqual([B.address]);
    expect(await echo(a, B.address, 7001, 'primary unaffected')).toBe('primary unaffected');
    expect(() => b.listen(7002, () => {}, X.address)).toThrow(InvalidParameterError);
    x.remove(); // a second time: nothing to do
    onPrimary.close();
  });

  it('can be added again, with another MAC, which its gratuitous ARP teaches the peer; the old listener is gone', async () => {
    const { a, b, x } = await pair();
    b.listen(7000, echoServer, X.address);
    expect(await echo(a, X.address, 7000, 'first')).toBe('first');
    x.remove();
    const again = b.addAddress(X.address, '02:00:00:00:00:33');
    expect(again.mac).toBe('02:00:00:00:00:33');
    await settle(10); // the announcement crosses the wire
    expect(await rejection(a.connect(X.address, 7000))).toBeInstanceOf(TcpRefusedError);
    b.listen(7000, echoServer, X.address);
    expect(await echo(a, X.address, 7000, 'second')).toBe('second');
  });
});

describe('addAddress checks', () => {
  it('rejects a duplicate address or MAC, a bad MAC and an address outside the subnet', async () => {
    const { b } = await pair();
    expect(() => b.addAddress(X.address, '02:00:00:00:00:44')).toThrow(InvalidParameterError);
    expect(() => b.addAddress(B.address, '02:00:00:00:00:44')).toThrow(InvalidParameterError);
    expect(() => b.addAddress('10.0.0.4', X.mac)).toThrow(InvalidParameterError);
    expect(() => b.addAddress('10.0.0.4', B.mac)).toThrow(InvalidParameterError);
    expect(() => b.addAddress('10.0.0.4', '01:00:5e:00:00:01')).toThrow(/multicast/);
    expect(() => b.addAddress('10.0.0.4', '02:00:00:00:00')).toThrow(InvalidParameterError);
    expect(() => b.addAddress('10.0.1.4', '02:00:00:00:00:44')).toThrow(/outside the stack's subnet/);
    expect(() => b.addAddress('10.0.0.255', '02:00:00:00:00:44')).toThrow(/broadcast/);
    expect(() => b.listen(90, () => {}, '10.0.0.4')).toThrow(InvalidParameterError);
    b.addAddress('10.0.0.4', '02:00:00:00:00:44'); // none of the above took a slot or the name
  });

  it('holds 63 extra addresses, refuses a 64th with ENOBUFS, and reuses a removed slot', async () => {
    const b = await TcpIpStack.create(lwip, { ...B, prefix: 24 });
    stacks.push(b);
    const mac = (i: number) => `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`;
    const extra = Array.from({ length: 63 }, (_, i) => b.addAddress(`10.0.0.${100 + i}`, mac(i)));
    const e = (() => {
      try {
        b.addAddress('10.0.0.200', mac(200));
      } catch (error) {
        return error;
      }
    })();
    expect(e).toBeInstanceOf(TcpError);
    expect(e).toMatchObject({ code: 'ENOBUFS', message: expect.stringMatching(/at most 64 addresses/) });
    extra[10]!.remove();
    expect(b.addAddress('10.0.0.200', mac(200)).address).toBe('10.0.0.200');
  });
});

describe('input', () => {
  it('drops a frame for a MAC none of its addresses has, and counts it', async () => {
    const { a, b } = await pair();
    const frame = arpRequest(B.address);
    frame.set(parseMac('02:00:00:00:00:99'), 0); // unicast, to somebody else
    expect(b.unknownMacFrames).toBe(0);
    b.input(frame);
    expect(b.unknownMacFrames).toBe(1);
    expect(await a.ping(X.address)).toBeGreaterThanOrEqual(0);
    expect(b.unknownMacFrames).toBe(1);
  });
});
