// The host end of the shim's framed channel (see scripts/guest-kit/shim.c): frames of
// type u8, id u32 LE, length u32 LE, payload, over the guest's second serial port.

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

/** Reassembles frames from serial bytes, which arrive one at a time. */
export class FrameReader {
  private buf = new Uint8Array(1 << 16);
  private len = 0;

  constructor(private readonly onFrame: (f: Frame) => void) {}

  push(byte: number): void {
    if (this.len === this.buf.length) {
      const grown = new Uint8Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[this.len++] = byte;
    if (this.len < HEADER) return;
    const v = new DataView(this.buf.buffer, 0, HEADER);
    const size = v.getUint32(5, true);
    if (this.len < HEADER + size) return;
    const frame: Frame = {
      type: String.fromCharCode(this.buf[0]!),
      id: v.getUint32(1, true),
      payload: this.buf.slice(HEADER, HEADER + size),
    };
    this.len = 0;
    this.onFrame(frame);
  }
}
