// A connection between the engine and a process Worker passes through the node agent: when a
// process is killed its Worker dies with its ports, and only the agent is left to tell the
// engine (a reset) instead of leaving the connection hanging.
import type { StreamMessage } from '../core/protocol.ts';

const transferOf = (m: StreamMessage): Transferable[] => (m instanceof Uint8Array ? [m.buffer] : []);

export class StreamRelay {
  private engineEnded = false;
  private processEnded = false;
  private gone = false;

  constructor(
    private readonly engine: MessagePort,
    private readonly process: MessagePort,
    private readonly onDone: () => void,
  ) {
    engine.onmessage = (e: MessageEvent<StreamMessage>) => this.fromEngine(e.data);
    process.onmessage = (e: MessageEvent<StreamMessage>) => this.fromProcess(e.data);
  }

  private fromEngine(m: StreamMessage): void {
    // After its process ended, data reaches no one: the engine learns so, as from a RST.
    if (this.gone && m instanceof Uint8Array) {
      this.reset('connection reset by peer: the process has exited');
      return;
    }
    this.process.postMessage(m, transferOf(m));
    if (m === null) this.engineEnded = true;
    this.settle(m);
  }

  private fromProcess(m: StreamMessage): void {
    this.engine.postMessage(m, transferOf(m));
    if (m === null) this.processEnded = true;
    this.settle(m);
  }

  private settle(m: StreamMessage): void {
    const reset = m !== null && !(m instanceof Uint8Array) && 'reset' in m;
    if (reset || (this.engineEnded && this.processEnded)) this.close();
  }

  /** The process ended; `reason` when it could not close the connection itself (a kill). */
  processGone(reason: string | undefined): void {
    this.gone = true;
    if (reason !== undefined) this.reset(reason);
  }

  private reset(reason: string): void {
    this.engine.postMessage({ reset: reason } satisfies StreamMessage);
    this.close();
  }

  private close(): void {
    this.engine.close();
    this.process.close();
    this.onDone();
  }
}
