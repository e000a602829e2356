import { type Digest, Sha256 } from './digest.ts';

/** Bytes a stream may keep for a one-shot WebCrypto digest before it falls back to hashing as it goes. */
const RETAIN_LIMIT = 96 << 20;

/**
 * SHA-256 over a stream. WebCrypto cannot stream, but hashes ~5× faster than wasm here and off
 * the main thread; so up to `retainLimit` bytes are kept and hashed once at the end. Longer
 * streams, and pages without WebCrypto (insecure origins), use incremental hash-wasm.
 * Chunks passed in must not be modified afterwards.
 */
export class Sha256Stream {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private incremental = false;

  private constructor(
    private readonly fallback: Sha256,
    private readonly retainLimit: number,
  ) {
    this.incremental = retainLimit <= 0 || typeof crypto === 'undefined' || !crypto.subtle;
  }

  static async create(retainLimit = RETAIN_LIMIT): Promise<Sha256Stream> {
    return new Sha256Stream(await Sha256.create(), retainLimit);
  }

  update(chunk: Uint8Array): void {
    if (this.incremental) {
      this.fallback.update(chunk);
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
    if (this.size > this.retainLimit) {
      this.incremental = true;
      for (const c of this.chunks) this.fallback.update(c);
      this.chunks = [];
    }
  }

  async digest(): Promise<Digest> {
    if (this.incremental) return this.fallback.digest();
    let whole: Uint8Array;
    if (this.chunks.length === 1) whole = this.chunks[0]!;
    else {
      whole = new Uint8Array(this.size);
      let at = 0;
      for (const c of this.chunks) {
        whole.set(c, at);
        at += c.byteLength;
      }
    }
    this.chunks = [];
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', whole as Uint8Array<ArrayBuffer>));
    let hex = '';
    for (const b of d) hex += b.toString(16).padStart(2, '0');
    return `sha256:${hex}` as Digest;
  }
}
