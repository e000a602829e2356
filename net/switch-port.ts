// One port of a virtual switch: the cable (a MessagePort) to a container's NIC, with the port's
// egress queue. A real switch port holds a bounded number of frames waiting for the wire and
// drops what arrives when it is full; so does this one, counting the drops.
import type { SwitchPortStats } from '../core/net/fabric-api.ts';

export class SwitchPort {
  private queue: Uint8Array[] = [];
  private flushing: ReturnType<typeof setTimeout> | undefined;
  framesIn = 0;
  bytesIn = 0;
  framesOut = 0;
  bytesOut = 0;
  dropped = 0;

  constructor(
    readonly mac: string,
    private readonly port: MessagePort,
    private readonly queueLimit: number,
    onFrame: (frame: Uint8Array, from: SwitchPort) => void,
  ) {
    port.onmessage = (e: MessageEvent<unknown>) => {
      if (!(e.data instanceof Uint8Array)) return;
      this.framesIn++;
      this.bytesIn += e.data.length;
      onFrame(e.data, this);
    };
  }

  /** Queues `frame` (now owned by this port: it is transferred on) for the container. */
  enqueue(frame: Uint8Array): void {
    if (this.queue.length >= this.queueLimit) {
      this.dropped++;
      return;
    }
    this.queue.push(frame);
    // The wire drains in its own task, so frames arriving faster than it runs fill the queue.
    this.flushing ??= setTimeout(() => this.flush(), 0);
  }

  private flush(): void {
    this.flushing = undefined;
    const frames = this.queue;
    this.queue = [];
    for (const f of frames) {
      this.framesOut++;
      this.bytesOut += f.length;
      this.port.postMessage(f, [f.buffer as ArrayBuffer]);
    }
  }

  close(): void {
    if (this.flushing) clearTimeout(this.flushing);
    this.queue = [];
    this.port.onmessage = null;
    this.port.close();
  }

  stats(): SwitchPortStats {
    const { mac, framesIn, framesOut, bytesIn, bytesOut, dropped } = this;
    return { mac, framesIn, framesOut, bytesIn, bytesOut, dropped };
  }
}
