/**
 * One TCP connection as a byte duplex. Backpressure is lwIP's own, both ways:
 *  - writing: a write resolves once lwIP has taken all its bytes into its send buffer, which
 *    frees as the peer acknowledges; the writable holds one chunk, so `writer.ready` waits on it.
 *  - reading: received bytes are acknowledged to lwIP (`tcp_recved`, which reopens the window)
 *    only as the reader takes them, so a slow reader shrinks the advertised window.
 * `writable.close()` sends FIN (half-close); the readable ends at the peer's FIN. A reset, either
 * way, errors both streams with a TcpError.
 */
import { isFinishedByLwip, TcpAbortedError, type TcpError, tcpErrorOf } from './errors.ts';

export interface TcpEndpoint {
  readonly address: string;
  readonly port: number;
}

/** What a connection asks of its stack, by lwIP handle. Negative results are lwIP err_t. */
export interface TcpPcbOps {
  write(handle: number, data: Uint8Array): number;
  recved(handle: number, len: number): void;
  shutdown(handle: number): number;
  close(handle: number): void;
  abort(handle: number): void;
  /** The handle is gone from lwIP: the stack stops routing its events here. */
  forget(handle: number): void;
}

interface PendingWrite {
  readonly data: Uint8Array;
  offset: number;
  readonly resolve: () => void;
  readonly reject: (e: TcpError) => void;
}

export class TcpConnection {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves when both directions ended cleanly; rejects with the TcpError that ended it. */
  readonly closed: Promise<void>;

  private readonly received: Uint8Array[] = [];
  private peerFinished = false;
  private readEnded = false;
  private writeEnded = false;
  private failure: TcpError | undefined;
  /** The handle is no longer ours (closed by us, or freed by lwIP): no more calls with it. */
  private released = false;
  private wakeReader: (() => void) | undefined;
  private readController!: ReadableStreamDefaultController<Uint8Array>;
  private writeController!: WritableStreamDefaultController;
  private pending: PendingWrite | undefined;
  private settle!: { resolve: () => void; reject: (e: TcpError) => void };

  constructor(
    private readonly handle: number,
    private readonly ops: TcpPcbOps,
    readonly local: TcpEndpoint,
    readonly remote: TcpEndpoint,
  ) {
    this.closed = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // Whoever awaits `closed` sees the error; nobody awaiting it is not a crash.
    this.closed.catch(() => {});
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => void (this.readController = c),
        pull: (c) => this.pull(c),
        cancel: () => this.reset(),
      },
      { highWaterMark: 0 },
    );
    this.writable = new WritableStream<Uint8Array>(
      {
        start: (c) => void (this.writeController = c),
        write: (chunk) => this.send(chunk),
        close: () => this.finishWriting(),
        abort: () => this.reset(),
      },
      new CountQueuingStrategy({ highWaterMark: 1 }),
    );
  }

  /** Sends a reset (RST) to the peer and errors both streams. */
  reset(): void {
    if (!this.released) {
      this.released = true;
      this.ops.abort(this.handle);
      this.ops.forget(this.handle);
    }
    this.fail(new TcpAbortedError(`connection to ${this.remote.address}:${this.remote.port} reset by this side`));
  }

  // ---- events from the stack ----

  onData(data: Uint8Array): void {
    this.received.push(data.slice());
    this.wakeReader?.();
  }

  onPeerFinished(): void {
    this.peerFinished = true;
    this.wakeReader?.();
  }

  /** lwIP freed the pcb: a reset by the peer or retransmissions that ran out, or the end of a
   * clean close (both FINs exchanged), after which unread data is still read to the end. */
  onError(err: number): void {
    this.released = true;
    this.ops.forget(this.handle);
    if (isFinishedByLwip(err)) {
      this.peerFinished = true;
      this.wakeReader?.();
      return;
    }
    this.fail(tcpErrorOf(err, `connection to ${this.remote.address}:${this.remote.port}`, true));
  }

  /** The send buffer has room again (an ACK arrived, or the stack's timer retries). */
  pump(): void {
    const p = this.pending;
    while (p && p.offset < p.data.length && !this.failure && !this.released) {
      const n = this.ops.write(this.handle, p.data.subarray(p.offset));
      if (n < 0) {
        this.fail(tcpErrorOf(n, `write to ${this.remote.address}:${this.remote.port}`, true));
        return;
      }
      if (n === 0) return;
      p.offset += n;
    }
    if (p && p.offset >= p.data.length) {
      this.pending = undefined;
      p.resolve();
    }
  }

  get writing(): boolean {
    return this.pending !== undefined;
  }

  // ---- stream plumbing ----

  private async pull(c: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    while (this.received.length === 0 && !this.peerFinished && !this.failure) {
      await new Promise<void>((wake) => (this.wakeReader = wake));
      this.wakeReader = undefined;
    }
    if (this.failure) return;
    const chunk = this.received.shift();
    if (chunk) {
      c.enqueue(chunk);
      if (!this.released) this.ops.recved(this.handle, chunk.length);
      return;
    }
    c.close();
    this.readEnded = true;
    this.releaseIfDone();
  }

  private send(chunk: Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (chunk.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending = { data: chunk, offset: 0, resolve, reject };
      this.pump();
    });
  }

  private finishWriting(): void {
    if (this.failure) throw this.failure;
    const err = this.ops.shutdown(this.handle);
    if (err < 0) throw tcpErrorOf(err, `close of ${this.remote.address}:${this.remote.port}`, true);
    this.writeEnded = true;
    this.releaseIfDone();
  }

  /** Both directions ended: lwIP finishes the close (FIN handshake, TIME_WAIT) on its own. */
  private releaseIfDone(): void {
    if (!this.readEnded || !this.writeEnded) return;
    if (!this.released) {
      this.released = true;
      this.ops.close(this.handle);
      this.ops.forget(this.handle);
    }
    this.settle.resolve();
  }

  private fail(e: TcpError): void {
    if (this.failure) return;
    this.failure = e;
    if (!this.released) this.ops.forget(this.handle);
    this.released = true;
    this.readController.error(e);
    this.writeController.error(e);
    this.pending?.reject(e);
    this.pending = undefined;
    this.wakeReader?.();
    this.settle.reject(e);
  }
}
