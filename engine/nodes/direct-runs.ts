// WASI runs that go straight to a node's reserved process Worker (NodeAgentApi.reserve): the run
// and its output skip the node's thread, two of the four thread hops to a first byte. One per
// node, holding at most one reservation. A run that cannot go direct (an x86 process, NICs to
// transfer, no reservation ready because the last run still holds the Worker) goes through the
// node's `spawn` as before.
import * as Comlink from 'comlink';
import { OutputRelay } from '../../core/output-relay.ts';
import type { DirectRequest, NodeAgentApi, ProcessEvent, ProcessSpec } from '../../core/protocol.ts';

/** Output is acknowledged in batches of this many events or bytes (a Worker waits past 64 events or 1 MiB). */
const ACK_EVENTS = 16;
const ACK_BYTES = 256 << 10;

type Exit = ProcessEvent & { readonly type: 'exit' };

interface Reservation {
  readonly port: MessagePort;
  /** Where an exit the node decides (a kill, a failed Worker) goes, once the run is on. */
  onNodeExit?: (e: Exit) => void;
}

export class DirectRuns {
  private ready: Reservation | undefined;
  private asking = false;
  /** The node cannot run direct (no JSPI): ask no more. */
  private refused = false;
  private closed = false;

  constructor(private readonly api: Pick<NodeAgentApi, 'reserve' | 'claim'>) {
    this.reserve();
  }

  private reserve(): void {
    if (this.asking || this.ready || this.refused || this.closed) return;
    this.asking = true;
    // The node's exit callback goes with the request; the reservation it speaks for comes after.
    let reservation: Reservation | undefined;
    const onExit = (_processId: string, e: Exit) => reservation?.onNodeExit?.(e);
    this.api.reserve(Comlink.proxy(onExit)).then(
      (answer) => {
        this.asking = false;
        // Busy (another engine holds the reservation): asked again at the next run.
        if (answer === 'unsupported') this.refused = true;
        else if (answer === 'busy') return;
        else if (this.closed) answer.close();
        else this.ready = reservation = { port: answer };
      },
      () => {
        this.asking = false;
      },
    );
  }

  /**
   * Starts `spec` over the reservation; false when it cannot go direct, and the caller spawns it
   * through the node. Events reach `onEvent` as the node's would: output joined per task, the
   * exit last and once.
   */
  async spawn(spec: ProcessSpec, onEvent: (e: ProcessEvent) => void): Promise<boolean> {
    const r = this.ready;
    if (!r) this.reserve();
    if (!r || spec.platform === 'linux/386' || spec.network?.interfaces.length) return false;
    this.ready = undefined;
    let done = false;
    const taken = { bytes: 0, messages: 0 };
    let ackTimer: ReturnType<typeof setTimeout> | undefined;
    const ack = () => {
      clearTimeout(ackTimer);
      ackTimer = undefined;
      if (!taken.messages || done) return;
      r.port.postMessage({ t: 'taken', ...taken } satisfies DirectRequest);
      taken.bytes = taken.messages = 0;
    };
    const relay = new OutputRelay(onEvent);
    const finish = (e: Exit) => {
      if (done) return;
      done = true;
      clearTimeout(ackTimer);
      r.port.close();
      relay.flush();
      onEvent(e);
    };
    r.onNodeExit = finish;
    r.port.onmessage = (m: MessageEvent<ProcessEvent>) => {
      const e = m.data;
      if (done) return;
      if (e.type === 'exit') return finish(e);
      if (e.type === 'started') return onEvent(e);
      relay.push(e.type === 'stdout' ? 1 : 2, e.data);
      taken.bytes += e.data.length;
      taken.messages++;
      if (taken.messages >= ACK_EVENTS || taken.bytes >= ACK_BYTES) ack();
      else ackTimer ??= setTimeout(ack, 0);
    };
    r.port.postMessage({ t: 'run', spec } satisfies DirectRequest);
    // In this order on the node: the claim takes the reservation, then the next one is asked for.
    const claimed = this.api.claim(spec);
    this.reserve();
    if (await claimed) return true;
    // The reserved Worker failed before the run came: nothing ran.
    done = true;
    r.port.close();
    return false;
  }

  close(): void {
    this.closed = true;
    this.ready?.port.close();
    this.ready = undefined;
  }
}
