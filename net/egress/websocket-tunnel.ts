// One TCP connection beyond the network, through the project's proxy: a WebSocket to its
// `/egress/<host>:<port>` endpoint (proxy/README.md, "Egress"), as a byte duplex. The proxy
// decides whether the target may be reached; its refusal arrives as the socket's close reason.
import type { Duplex } from '../../core/stream-port.ts';

/** The proxy's policy refuses the target (close code 4403). */
export class EgressRefusedError extends Error {}
/** The target could not be reached (4502), or the proxy itself could not. */
export class EgressFailedError extends Error {}

const REFUSED = 4403;
/** Writes wait while the socket holds this much unsent. */
const HIGH_WATER = 1 << 20;

/** `base`: the proxy's egress endpoint, `ws://127.0.0.1:5173/egress`. */
export function openEgressTunnel(base: string, host: string, port: number): Promise<Duplex> {
  const target = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  const ws = new WebSocket(`${base.replace(/\/$/, '')}/${target}`);
  ws.binaryType = 'arraybuffer';
  return new Promise((resolve, reject) => {
    let duplex: Duplex | undefined;
    let readController!: ReadableStreamDefaultController<Uint8Array>;
    let readDone = false;
    const endReading = (error?: Error) => {
      if (readDone) return;
      readDone = true;
      if (error) readController.error(error);
      else readController.close();
    };
    let failure: Error | undefined;
    ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data !== 'string') {
        if (!readDone) readController.enqueue(new Uint8Array(e.data));
      } else if (e.data === 'end') endReading();
      else if (!duplex && e.data.startsWith('connected')) {
        duplex = { readable, writable };
        resolve(duplex);
      }
    };
    ws.onclose = (e) => {
      if (!duplex) {
        const reason = e.reason || `the egress proxy at ${base} did not answer (close ${e.code})`;
        reject(e.code === REFUSED ? new EgressRefusedError(reason) : new EgressFailedError(reason));
        return;
      }
      failure = e.code === 1000 ? undefined : new EgressFailedError(e.reason || `egress to ${target} ended (close ${e.code})`);
      endReading(failure);
    };
    const readable = new ReadableStream<Uint8Array>({
      start: (c) => void (readController = c),
      cancel: () => ws.close(),
    });
    const writable = new WritableStream<Uint8Array>({
      async write(chunk) {
        while (ws.bufferedAmount > HIGH_WATER && ws.readyState === WebSocket.OPEN) await new Promise((r) => setTimeout(r, 5));
        if (ws.readyState !== WebSocket.OPEN) throw failure ?? new EgressFailedError(`egress to ${target} is closed`);
        ws.send(chunk);
      },
      close: () => {
        if (ws.readyState === WebSocket.OPEN) ws.send('end');
      },
      abort: () => ws.close(),
    });
  });
}
