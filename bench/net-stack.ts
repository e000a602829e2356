// TCP throughput through the engine's own stack (net/tcpip: lwIP in wasm): two stacks on an
// in-memory Ethernet wire (MemoryWire), one connection carrying SIZE bytes, against a baseline
// that copies the same bytes through the same wire as bare full-size frames, without TCP, in the
// same run. Prints Mbit/s (median of the rounds) and the ratio to the baseline; the ratio is what
// to read. Also one lossy round (1% of frames dropped) to show what retransmission costs.
// Run: npx tsx bench/net-stack.ts [MiB] [rounds]   (builds .cache/lwip/lwip.wasm if needed)
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type TcpConnection, TcpIpStack } from '../net/tcpip/index.ts';
import { type FrameEndpoint, MemoryWire, type WireOptions } from '../test/support/memory-wire.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SIZE = Number(process.argv[2] ?? 64) * 1024 * 1024;
const ROUNDS = Number(process.argv[3] ?? 5);
const WRITE_CHUNK = 64 * 1024;
const MSS = 1460;
const HEADERS = 14 + 20 + 20; // Ethernet, IPv4, TCP: the baseline's frames are as large as TCP's

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const mbits = (bytes: number, ms: number) => (bytes * 8) / (ms / 1000) / 1e6;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const progress = (s: string) => process.stderr.write(`[bench:net-stack] ${s}\n`);

/** Reads a stream into one buffer of known size. */
async function readInto(readable: ReadableStream<Uint8Array>, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let at = 0;
  const reader = readable.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    out.set(r.value, at);
    at += r.value.length;
  }
  if (at !== size) throw new Error(`received ${at} bytes, expected ${size}`);
  return out;
}

async function tcpRound(lwip: WebAssembly.Module, data: Uint8Array, wireOptions: WireOptions = {}): Promise<number> {
  const a = await TcpIpStack.create(lwip, { mac: '02:00:00:00:00:01', address: '10.0.0.1', prefix: 24 });
  const b = await TcpIpStack.create(lwip, { mac: '02:00:00:00:00:02', address: '10.0.0.2', prefix: 24 });
  try {
    new MemoryWire(a, b, wireOptions);
    const accepted = new Promise<TcpConnection>((resolve) => b.listen(5001, resolve));
    const client = await a.connect('10.0.0.2', 5001);
    const server = await accepted;
    const t0 = performance.now();
    const receiving = readInto(server.readable, data.length);
    const writer = client.writable.getWriter();
    for (let i = 0; i < data.length; i += WRITE_CHUNK) {
      await writer.ready;
      await writer.write(data.subarray(i, i + WRITE_CHUNK));
    }
    await writer.close();
    const got = await receiving;
    const ms = performance.now() - t0;
    if (sha(got) !== sha(data)) throw new Error('TCP delivered different bytes');
    return ms;
  } finally {
    a.close();
    b.close();
  }
}

/** The baseline: the same bytes cut into full-size frames, through the same wire, copied out at the far end. */
async function wireRound(data: Uint8Array): Promise<number> {
  const out = new Uint8Array(data.length);
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  let emit: (frame: Uint8Array) => void = () => {};
  const sender: FrameEndpoint = { onFrame: (l) => void (emit = l), input: () => {} };
  const receiver: FrameEndpoint = {
    onFrame: () => {},
    input: (frame) => {
      out.set(frame.subarray(HEADERS), received);
      received += frame.length - HEADERS;
      if (received === data.length) done();
    },
  };
  new MemoryWire(sender, receiver);
  const t0 = performance.now();
  for (let i = 0; i < data.length; i += MSS) {
    const payload = data.subarray(i, i + MSS);
    const frame = new Uint8Array(HEADERS + payload.length);
    frame.set(payload, HEADERS);
    emit(frame);
    // Yield once a window's worth is queued, as a sender waiting for ACKs would.
    if ((i / MSS) % 180 === 179) await Promise.resolve();
  }
  await finished;
  const ms = performance.now() - t0;
  if (sha(out) !== sha(data)) throw new Error('the wire delivered different bytes');
  return ms;
}

execFileSync('bash', ['scripts/lwip/build.sh'], { cwd: ROOT, stdio: 'inherit' });
const lwip = new WebAssembly.Module(readFileSync(`${ROOT}.cache/lwip/lwip.wasm`));
const data = new Uint8Array(randomBytes(SIZE));
progress(`${SIZE / 1048576} MiB, ${ROUNDS} rounds, writes of ${WRITE_CHUNK / 1024} KiB`);
const tcp: number[] = [];
const wire: number[] = [];
const ratios: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  wire.push(await wireRound(data));
  tcp.push(await tcpRound(lwip, data));
  // Each round's ratio pairs two runs seconds apart, so a busy machine skews it less than the medians.
  ratios.push(wire.at(-1)! / tcp.at(-1)!);
  progress(`round ${r + 1}: wire ${mbits(SIZE, wire.at(-1)!).toFixed(0)} Mbit/s, tcp ${mbits(SIZE, tcp.at(-1)!).toFixed(0)} Mbit/s`);
}
const lossyBytes = Math.min(SIZE, 16 * 1024 * 1024);
const lossyMbits = mbits(lossyBytes, await tcpRound(lwip, data.subarray(0, lossyBytes), { dropRate: 0.01 }));
const wireMbits = mbits(SIZE, median(wire));
console.log(`baseline (bare frames, same wire):  ${wireMbits.toFixed(0)} Mbit/s`);
console.log(`TCP through two lwIP stacks:        ${mbits(SIZE, median(tcp)).toFixed(0)} Mbit/s   ratio ${median(ratios).toFixed(3)} (median of rounds)`);
console.log(`TCP, 1% of frames dropped (${lossyBytes / 1048576} MiB): ${lossyMbits.toFixed(0)} Mbit/s   ratio ${(lossyMbits / wireMbits).toFixed(3)}`);
