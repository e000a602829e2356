// A process's stdin: chunks from `writeStdin` until `null` (end of file). Without `openStdin`
// it starts at end of file.
export class StdinQueue {
  private readonly chunks: Uint8Array[] = [];
  private eof: boolean;
  private wake: (() => void)[] = [];

  constructor(open: boolean) {
    this.eof = !open;
  }

  push(data: Uint8Array | null): void {
    if (this.eof) return;
    if (data === null) this.eof = true;
    else if (data.length) this.chunks.push(data);
    else return;
    for (const w of this.wake.splice(0)) w();
  }

  /** Bytes ready to read now. */
  get available(): number {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  get ended(): boolean {
    return this.eof && this.chunks.length === 0;
  }

  /** Up to `max` bytes; empty at end of file; undefined when a read would have to wait. */
  read(max: number): Uint8Array | undefined {
    const first = this.chunks[0];
    if (!first) return this.eof ? new Uint8Array(0) : undefined;
    if (first.length <= max) {
      this.chunks.shift();
      return first;
    }
    this.chunks[0] = first.subarray(max);
    return first.subarray(0, max);
  }

  /** Resolves once a read would not wait. */
  readable(): Promise<void> {
    if (this.chunks.length || this.eof) return Promise.resolve();
    return new Promise((r) => this.wake.push(r));
  }

  /** Resolves at end of file. */
  async closed(): Promise<void> {
    while (!this.eof) await new Promise<void>((r) => this.wake.push(r));
  }
}
