// The process's end of a TCP-like connection: a MessagePort carrying StreamMessages
// (core/protocol.ts). Received bytes wait here until the program reads them, and are
// acknowledged as it does; sends stop while STREAM_WINDOW bytes are unacknowledged. A peer that
// ignores the window is reset rather than buffered without bound.
import { wasi } from '@bjorn3/browser_wasi_shim';
import { STREAM_WINDOW, type StreamMessage } from '../../core/protocol.ts';
import { fail } from '../fs/errno.ts';

const ACK_BATCH = STREAM_WINDOW / 4;
/** Most bytes one send passes on: the peer's buffer stays within a window and a piece. */
const PIECE = 64 << 10;
/** What a peer may have in flight past the window before it is reset. */
const OVERFLOW = STREAM_WINDOW * 2;

export class SocketConnection {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private peerEnded = false;
  private resetBy: string | undefined;
  private readShut = false;
  private writeShut = false;
  private closed = false;
  private unacked = 0;
  private toAck = 0;

  constructor(
    private readonly port: MessagePort,
    /** Called on every change of state, so polls and blocked calls look again. */
    private readonly onChange: () => void,
  ) {
    port.onmessage = (e: MessageEvent<StreamMessage>) => this.receive(e.data);
  }

  private receive(m: StreamMessage): void {
    if (m instanceof Uint8Array) {
      if (this.closed) {
        this.abort('connection reset by peer: data after close');
        return;
      }
      if (this.readShut) this.ack(m.length);
      else if (m.length) {
        this.chunks.push(m);
        this.buffered += m.length;
        if (this.buffered > OVERFLOW) {
          this.abort(`receive buffer overflow: the peer sent past its window of ${STREAM_WINDOW} bytes`);
          return;
        }
      }
    } else if (m === null) {
      this.peerEnded = true;
      if (this.closed) this.port.close();
    } else if ('ack' in m) this.unacked = Math.max(0, this.unacked - m.ack);
    else {
      this.resetBy = m.reset;
      this.port.close();
    }
    this.onChange();
  }

  private ack(n: number): void {
    this.toAck += n;
    if (this.toAck >= ACK_BATCH || !this.chunks.length) {
      this.port.postMessage({ ack: this.toAck } satisfies StreamMessage);
      this.toAck = 0;
    }
  }

  /** Bytes a read would return now. */
  get available(): number {
    return this.buffered;
  }

  /** A read would not wait: data, the end of input, or an error. */
  get readReady(): boolean {
    return this.buffered > 0 || this.peerEnded || this.readShut || this.resetBy !== undefined;
  }

  /** The peer ended its side (or reset) and everything it sent has been read. */
  get hungUp(): boolean {
    return !this.buffered && (this.peerEnded || this.resetBy !== undefined);
  }

  get writeReady(): boolean {
    return this.unacked < STREAM_WINDOW || this.writeShut || this.resetBy !== undefined;
  }

  /** Up to `max` bytes; empty at the end of input; undefined when a read would wait. */
  read(max: number, peek = false): Uint8Array | undefined {
    if (this.resetBy !== undefined && !this.buffered) fail(wasi.ERRNO_CONNRESET);
    if (!this.buffered) return this.peerEnded || this.readShut ? new Uint8Array(0) : undefined;
    const out = new Uint8Array(Math.min(max, this.buffered));
    let at = 0;
    let i = 0;
    while (at < out.length) {
      const c = this.chunks[i]!;
      const n = Math.min(c.length, out.length - at);
      out.set(c.subarray(0, n), at);
      at += n;
      if (peek) i++;
      else if (n === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(n);
    }
    if (!peek) {
      this.buffered -= out.length;
      this.ack(out.length);
    }
    return out;
  }

  /** Sends what the window allows of `data`: the count sent, or undefined when it is full. */
  write(data: Uint8Array): number | undefined {
    if (this.resetBy !== undefined) fail(wasi.ERRNO_CONNRESET);
    if (this.writeShut) fail(wasi.ERRNO_PIPE);
    if (!data.length) return 0;
    const room = STREAM_WINDOW - this.unacked;
    if (room <= 0) return undefined;
    const n = Math.min(room, PIECE, data.length);
    const piece = data.slice(0, n);
    this.unacked += n;
    this.port.postMessage(piece, [piece.buffer]); // detaches piece: n keeps its length
    return n;
  }

  shutdown(read: boolean, write: boolean): void {
    if (this.resetBy !== undefined) fail(wasi.ERRNO_NOTCONN);
    if (read && !this.readShut) {
      this.readShut = true;
      const dropped = this.buffered;
      this.chunks.length = 0;
      this.buffered = 0;
      if (dropped) this.ack(dropped);
    }
    if (write && !this.writeShut) {
      this.writeShut = true;
      this.port.postMessage(null satisfies StreamMessage);
    }
    this.onChange();
  }

  /** The program closed its fd (or exited): the end of its side, as close(2) sends FIN. */
  close(): void {
    if (this.closed || this.resetBy !== undefined) return;
    if (!this.writeShut) this.port.postMessage(null satisfies StreamMessage);
    this.writeShut = true;
    this.closed = true;
    // Data the program will never read: the peer learns it went nowhere, as from a RST.
    if (this.buffered) this.abort('connection reset by peer: unread data at close');
    else if (this.peerEnded) this.port.close();
  }

  /** Ends both directions at once (a refused or dropped connection). */
  abort(reason: string): void {
    if (this.resetBy !== undefined) return;
    this.resetBy = reason;
    this.port.postMessage({ reset: reason } satisfies StreamMessage);
    this.port.close();
    this.onChange();
  }
}
