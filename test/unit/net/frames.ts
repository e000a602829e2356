// Test helpers: hex frames, and collecting what a switch port delivers.
import { MessageChannel, type MessagePort } from 'node:worker_threads';

export const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
export const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A cable: `switchEnd` goes to the switch, frames arriving at the container end are kept. */
export function cable() {
  const { port1, port2 } = new MessageChannel();
  const received: Uint8Array[] = [];
  port2.on('message', (f: Uint8Array) => received.push(f));
  return {
    switchEnd: port1 as unknown as globalThis.MessagePort,
    container: port2 as MessagePort,
    received,
    send: (frame: Uint8Array) => port2.postMessage(frame),
    close: () => port2.close(),
  };
}

/** Lets queued messages and the switch's drain timers run. */
export const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));

/** An Ethernet frame from `src` to `dst` with a recognisable payload. */
export function frame(dst: string, src: string, tag: number): Uint8Array {
  return hex(`${dst.replace(/:/g, '')}${src.replace(/:/g, '')}88b5${tag.toString(16).padStart(4, '0')}${'00'.repeat(44)}`);
}
