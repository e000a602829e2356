import { LayerFormatError } from '../errors.ts';

const EMPTY = new Uint8Array(0);

/** Pulls exact byte counts out of a stream of arbitrarily sized chunks, copying only when a read straddles chunks. */
export class StreamReader {
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    while (!this.ended) {
      const r = await this.source.next();
      if (r.done) {
        this.ended = true;
        return false;
      }
      if (r.value.byteLength > 0) {
        this.buf = r.value;
        this.pos = 0;
        return true;
      }
    }
    return false;
  }

  /** Reads exactly n bytes; null at a clean end of stream; throws on a partial read. */
  async readExact(n: number): Promise<Uint8Array | null> {
    if (this.pos >= this.buf.byteLength && !(await this.fill())) return null;
    if (this.buf.byteLength - this.pos >= n) {
      const out = this.buf.subarray(this.pos, this.pos + n);
      this.pos += n;
      return out;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (this.pos >= this.buf.byteLength && !(await this.fill())) {
        throw new LayerFormatError(`unexpected end of layer data (wanted ${n} bytes, got ${got})`);
      }
      const take = Math.min(n - got, this.buf.byteLength - this.pos);
      out.set(this.buf.subarray(this.pos, this.pos + take), got);
      this.pos += take;
      got += take;
    }
    return out;
  }

  /** Yields exactly n bytes as views into the source chunks (valid until the next read). */
  async *span(n: number): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (this.pos >= this.buf.byteLength && !(await this.fill())) {
        throw new LayerFormatError(`unexpected end of layer data (${left} bytes missing)`);
      }
      const take = Math.min(left, this.buf.byteLength - this.pos);
      const out = this.buf.subarray(this.pos, this.pos + take);
      this.pos += take;
      left -= take;
      yield out;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.span(n));
  }
}
