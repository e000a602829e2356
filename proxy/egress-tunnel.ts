import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { egressLogLine } from './egress-log.ts';

/** WebSocket close codes of the egress protocol (proxy/README.md, "Egress"). */
export const EgressClose = {
  done: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  refused: 4403,
  upstreamError: 4500,
  connectFailed: 4502,
} as const;
export type EgressCloseCode = (typeof EgressClose)[keyof typeof EgressClose];

/** The upstream socket pauses while the WebSocket holds more than this unsent. */
const HIGH_WATER = 1024 * 1024;
/** The protocol's limit on a close reason. */
const MAX_REASON_BYTES = 123;

/**
 * One WebSocket and, once connected, its TCP socket: raw bytes both ways as binary messages, a
 * text `end` for each way's half-close, backpressure both ways, one log line at the end. Before
 * `connected` the client must send nothing; the endpoint decides, then calls `connected` or `close`.
 */
export class Tunnel {
  private readonly aborter = new AbortController();
  /** Aborted when the tunnel closes, so a lookup or connect in flight is abandoned. */
  readonly signal = this.aborter.signal;
  /** Settles when the WebSocket has closed (and the line is logged). */
  readonly done: Promise<void>;
  private socket: Socket | undefined;
  private dialled: string | undefined;
  private closedBy: { code: number; reason: string; by: 'proxy' | 'client' } | undefined;
  private up = 0;
  private down = 0;
  private clientEnded = false;
  /** Our FIN went out after everything the client sent. */
  private upstreamFinished = false;
  /** The target's FIN arrived (and `end` was sent on). */
  private upstreamEnded = false;
  private readonly started = performance.now();

  constructor(
    private readonly ws: WebSocket,
    private readonly target: string,
    log: ((line: string) => void) | null,
  ) {
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    // ws closes the connection itself after a protocol error (1002, 1009 …); 'close' follows.
    ws.on('error', () => undefined);
    this.done = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        this.closedBy ??= { code, reason: reason.toString(), by: 'client' };
        this.teardown();
        log?.(this.logLine());
        resolve();
      }),
    );
  }

  /** The target answered on `address` (`ip:port`): tell the client and start moving bytes. */
  connected(socket: Socket, address: string): void {
    if (this.closedBy) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    this.dialled = address;
    this.ws.send(`connected ${address}`);
    const sent = (err?: Error) => {
      if (!err && socket.isPaused() && this.ws.bufferedAmount <= HIGH_WATER) socket.resume();
    };
    socket.on('data', (chunk: Buffer) => {
      this.down += chunk.length;
      this.ws.send(chunk, sent);
      if (this.ws.bufferedAmount > HIGH_WATER) socket.pause();
    });
    socket.on('drain', () => this.ws.resume());
    socket.on('end', () => {
      this.upstreamEnded = true;
      this.ws.send('end');
      this.closeIfBothEnded();
    });
    socket.on('finish', () => {
      this.upstreamFinished = true;
      this.closeIfBothEnded();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => this.close(EgressClose.upstreamError, e.code ?? e.message));
  }

  /** Closes the WebSocket (once) and destroys the upstream socket. */
  close(code: EgressCloseCode, reason: string): void {
    if (this.closedBy) return;
    const short = truncateUtf8(reason, MAX_REASON_BYTES);
    this.closedBy = { code, reason: short, by: 'proxy' };
    this.teardown();
    // A paused WebSocket would never read the client's answering close frame.
    this.ws.resume();
    this.ws.close(code, short);
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.closedBy) return;
    const socket = this.socket;
    if (!isBinary) {
      if (data.toString() !== 'end') this.close(EgressClose.unsupportedData, 'the only text message is "end"');
      else if (!socket) this.close(EgressClose.protocolError, '"end" before "connected"');
      else if (this.clientEnded) this.close(EgressClose.protocolError, 'a second "end"');
      else {
        this.clientEnded = true;
        socket.end();
      }
    } else if (!socket) this.close(EgressClose.protocolError, 'data before "connected"');
    else if (this.clientEnded) this.close(EgressClose.protocolError, 'data after "end"');
    else {
      const chunk = data as Buffer;
      this.up += chunk.length;
      // Stop reading the WebSocket while the target is slower than the client; 'drain' resumes it.
      if (!socket.write(chunk)) this.ws.pause();
    }
  }

  private closeIfBothEnded(): void {
    if (this.upstreamFinished && this.upstreamEnded) this.close(EgressClose.done, '');
  }

  private teardown(): void {
    this.socket?.destroy();
    this.aborter.abort();
  }

  private logLine(): string {
    const c = this.closedBy!;
    return egressLogLine({
      target: this.target,
      dialled: this.dialled,
      result: `${c.by === 'client' ? 'client-close' : 'close'}=${c.code}`,
      up: this.up,
      down: this.down,
      ms: performance.now() - this.started,
      reason: c.reason || undefined,
    });
  }
}

/** At most `max` bytes of UTF-8, cut at a character boundary. */
function truncateUtf8(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > max - 3) break;
    out += ch;
  }
  return `${out}...`;
}
