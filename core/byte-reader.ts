// Reads a byte stream with what was read but not yet used kept back, so a head and what follows
// it (a body, frames, tunnelled bytes) share one reader: the HTTP and WebSocket clients over a
// container's stream, and the gateway's HTTP proxy.

export class ByteReader {
  private buf = new Uint8Array(0);
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** More bytes appended to the buffer; false at the end of the stream. */
  private async more(): Promise<boolean> {
    const { value, done } = await this.reader.read();
    if (done) return false;
    const next = new Uint8Array(this.buf.length + value.length);
    next.set(this.buf);
    next.set(value, this.buf.length);
    this.buf = next;
    return true;
  }

  /**
   * Bytes up to and including `delimiter`; undefined when the stream ends first. More than
   * `limit` bytes without it throws what `tooLong` makes.
   */
  async until(delimiter: Uint8Array, limit: number, tooLong: () => Error): Promise<Uint8Array | undefined> {
    let from = 0;
    for (;;) {
      const i = indexOf(this.buf, delimiter, from);
      if (i >= 0) return this.take(i + delimiter.length);
      if (this.buf.length > limit) throw tooLong();
      from = Math.max(0, this.buf.length - delimiter.length + 1);
      if (!(await this.more())) return undefined;
    }
  }

  /** Exactly `n` bytes, in a buffer of their own; undefined when the stream ends first. */
  async exactly(n: number): Promise<Uint8Array | undefined> {
    while (this.buf.length < n) if (!(await this.more())) return undefined;
    return this.take(n).slice();
  }

  /** Up to `max` bytes: what is buffered, else the next chunk; empty at the end of the stream. */
  async some(max: number): Promise<Uint8Array> {
    if (!this.buf.length && !(await this.more())) return new Uint8Array(0);
    return this.take(Math.min(max, this.buf.length));
  }

  private take(n: number): Uint8Array {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  cancel(reason?: unknown): Promise<void> {
    return this.reader.cancel(reason);
  }
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}
