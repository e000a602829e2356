// A MessagePort carrying StreamMessages (protocol.ts) as a pair of web streams, the same at both
// ends (the engine, the network Worker). Flow control both ways: what the reader takes is
// acknowledged, and a write waits while STREAM_WINDOW bytes are unacknowledged, so a slow side
// makes the other wait instead of filling memory.
import { ConnectionResetError } from './errors.ts';
import { STREAM_WINDOW, type StreamMessage } from './protocol.ts';

export interface Duplex {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** Writes are cut to pieces this big, so the peer's buffer stays within a window and a piece. */
const PIECE = 64 << 10;
/** Acknowledgements go out in batches of this many bytes, or when the reader has caught up. */
const ACK_BATCH = STREAM_WINDOW / 4;

export function streamPort(port: MessagePort): Duplex {
  const queue: Uint8Array[] = [];
  let ended = false;
  let reset: string | undefined;
  let sentEnd = false;
  let unacked = 0;
  let toAck = 0;
  let wakeReader: (() => void) | undefined;
  let wakeWriter: (() => void) | undefined;
  const wake = () => {
    wakeReader?.();
    wakeWriter?.();
    wakeReader = wakeWriter = undefined;
  };
  const finishIfDone = () => {
    if ((ended && sentEnd && !queue.length) || reset !== undefined) port.close();
  };

  port.onmessage = (e: MessageEvent<StreamMessage>) => {
    const m = e.data;
    if (m === null) ended = true;
    else if (m instanceof Uint8Array) {
      if (!ended && m.length) queue.push(m);
    } else if ('ack' in m) unacked = Math.max(0, unacked - m.ack);
    else reset = m.reset;
    wake();
  };

  const readable = new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        while (!queue.length && !ended && reset === undefined) await new Promise<void>((r) => (wakeReader = r));
        const chunk = queue.shift();
        if (chunk) {
          toAck += chunk.length;
          if (toAck >= ACK_BATCH || !queue.length) {
            port.postMessage({ ack: toAck } satisfies StreamMessage);
            toAck = 0;
          }
          c.enqueue(chunk);
        } else if (reset !== undefined) c.error(new ConnectionResetError(`connection reset by peer: ${reset}`));
        else {
          c.close();
          finishIfDone();
        }
      },
      cancel() {
        if (reset === undefined && (!ended || queue.length)) port.postMessage({ reset: 'the reader went away' } satisfies StreamMessage);
        reset ??= 'cancelled';
        finishIfDone();
      },
    },
    { highWaterMark: 0 },
  );

  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      for (let at = 0; at < chunk.length; at += PIECE) {
        while (unacked >= STREAM_WINDOW && reset === undefined) await new Promise<void>((r) => (wakeWriter = r));
        if (reset !== undefined) throw new ConnectionResetError(`connection reset by peer: ${reset}`);
        // A copy: transferring the caller's buffer would empty it under them.
        const piece = chunk.slice(at, at + PIECE);
        unacked += piece.length;
        port.postMessage(piece, [piece.buffer]);
      }
    },
    close() {
      if (reset !== undefined) throw new ConnectionResetError(`connection reset by peer: ${reset}`);
      port.postMessage(null satisfies StreamMessage);
      sentEnd = true;
      finishIfDone();
    },
    abort(reason) {
      if (reset === undefined) port.postMessage({ reset: String(reason ?? 'aborted') } satisfies StreamMessage);
      reset ??= 'aborted';
      wake();
      finishIfDone();
    },
  });

  return { readable, writable };
}
