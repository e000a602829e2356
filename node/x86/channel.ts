// The host end of the shim's framed channel (see scripts/guest-kit/shim.c): frames of
// type u8, id u32 LE, length u32 LE, payload; to the guest over its second serial port, from it
// over its virtio console.

import type { V86 } from 'v86';

export interface Frame {
  readonly type: string;
  readonly id: number;
  readonly payload: Uint8Array;
}

const HEADER = 9;
const enc = new TextEncoder();

export function encodeFrame(type: string, id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(HEADER + payload.length);
  const v = new DataView(out.buffer);
  out[0] = type.charCodeAt(0);
  v.setUint32(1, id, true);
  v.setUint32(5, payload.length, true);
  out.set(payload, HEADER);
  return out;
}

/** A NUL-separated `key=value` payload; array values repeat their key (argv, env). */
export function fields(entries: ReadonlyArray<readonly [string, string | number]>): Uint8Array {
  return enc.encode(entries.map(([k, v]) => `${k}=${v}\0`).join(''));
}

/** Reassembles frames from the bytes of a channel, as they arrive: one at a time from a serial port, in chunks from a virtio console. */
export class FrameReader {
  private buf = new Uint8Array(1 << 16);
  private len = 0;

  constructor(private readonly onFrame: (f: Frame) => void) {}

  push(byte: number): void {
    this.room(1);
    this.buf[this.len++] = byte;
    if (this.len >= HEADER) this.drain();
  }

  pushBytes(chunk: Uint8Array): void {
    this.room(chunk.length);
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
    this.drain();
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }

  /** Hands on every whole frame at the front of the buffer, keeping the rest. */
  private drain(): void {
    let at = 0;
    while (this.len - at >= HEADER) {
      const v = new DataView(this.buf.buffer, at, HEADER);
      const size = v.getUint32(5, true);
      if (this.len - at < HEADER + size) break;
      const frame: Frame = { type: String.fromCharCode(this.buf[at]!), id: v.getUint32(1, true), payload: this.buf.slice(at + HEADER, at + HEADER + size) };
      at += HEADER + size;
      this.onFrame(frame);
    }
    if (at === 0) return;
    this.buf.copyWithin(0, at, this.len);
    this.len -= at;
  }
}

/**
 * Calls `onFrame` with each frame the shim sends: over the virtio console's port 1 (a plain port,
 * /dev/vport<N>p1 in the guest), or over the second serial port if the guest had none (the shim
 * then reports it as a boot error, and the kit build refuses to save such a guest).
 */
export function listenToShim(emulator: V86, onFrame: (f: Frame) => void): void {
  const serial = new FrameReader(onFrame);
  emulator.add_listener('serial1-output-byte', (b) => serial.push(b));
  const virtio = new FrameReader(onFrame);
  // v86's typings name port 0's events only.
  (emulator as unknown as { add_listener(e: string, f: (bytes: Uint8Array) => void): void }).add_listener(SHIM_PORT_OUTPUT, (bytes) => virtio.pushBytes(bytes));
}

/** The bus event of what the guest writes to the virtio console's port 1. */
const SHIM_PORT_OUTPUT = 'virtio-console1-output-bytes';
