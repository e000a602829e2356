/**
 * TcpIpStack: one lwIP instance, as the engine's own TCP/IP endpoint on a virtual network. It has
 * a primary address and can speak for more on the same Ethernet segment (`addAddress`), each an
 * lwIP netif with its own MAC. Frames go out through `onFrame` and come in through `input`; lwIP's
 * timers run on a JS interval. Runs in a Worker or in Node; needs only WebAssembly and streams.
 *
 * lwIP is not reentrant, so every call into it goes through `call`: a frame that arrives while a
 * call runs (a wire that delivers synchronously, say) is queued and fed in after it returns.
 */
import { InvalidParameterError } from '../../core/errors.ts';
import { formatIpv4, formatMac, macKey, parseIpv4 } from '../../core/net/address.ts';
import { checkHostInSubnet, checkPort, parseUnicastMac, prefixToNetmask } from './address-checks.ts';
import { isOutOfMemory, TcpError, TcpTimedOutError, tcpErrorOf } from './errors.ts';
import { instantiateLwip, LWIP_NOT_FOR_US, type LwipEvents, type LwipModule } from './lwip-module.ts';
import { TcpConnection, type TcpPcbOps } from './tcp-connection.ts';

export interface StackConfig {
  /** The interface's MAC, "02:00:00:00:00:01". */
  readonly mac: string;
  readonly address: string;
  /** Prefix length of the subnet (24 for a /24). */
  readonly prefix: number;
  readonly gateway?: string;
}

export interface TcpListener {
  readonly port: number;
  close(): void;
}

/** An extra address of the stack (`addAddress`). */
export interface StackAddress {
  readonly address: string;
  readonly mac: string;
  /** Takes the address down: its connections are reset, its listeners closed. */
  remove(): void;
}

/** One of the stack's addresses: its lwIP netif index (0, the primary) and its MAC as a number. */
interface Netif {
  readonly index: number;
  readonly macKey: number;
}

interface Listener {
  readonly onConnection: (connection: TcpConnection) => void;
  /** The address it is bound to; undefined: any. */
  readonly address: string | undefined;
}

/** How often lwIP's timers are checked; its TCP timer itself runs every 50 ms (lwipopts.h). */
const TICK_MS = 10;
const MAX_ETHERNET_FRAME = 1518;

export class TcpIpStack {
  private frameListener: ((frame: Uint8Array) => void) | undefined;
  private depth = 0;
  private draining = false;
  private readonly inbox: Uint8Array[] = [];
  private readonly connections = new Map<number, TcpConnection>();
  private readonly listeners = new Map<number, Listener>();
  /** By address, the primary's included. */
  private readonly netifs = new Map<string, Netif>();
  private unknownMac = 0;
  private readonly connecting = new Map<number, { resolve: (c: TcpConnection) => void; reject: (e: TcpError) => void; what: string }>();
  private readonly pings = new Map<number, (from: number) => void>();
  private pingSequence = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lwip!: LwipModule;
  private readonly ops: TcpPcbOps;

  private constructor(
    readonly address: string,
    private readonly netmask: number,
  ) {
    this.ops = {
      write: (h, data) =>
        this.call(() => {
          const io = this.lwip.ioBuffer();
          // Copy no more than lwIP can take: after each ACK only a few segments' worth is free.
          const n = Math.min(data.length, io.length, this.lwip.tcp_sndbuf(h));
          if (n === 0) return 0;
          io.set(data.subarray(0, n));
          return this.lwip.tcp_write(h, n);
        }),
      recved: (h, len) => this.call(() => this.lwip.tcp_recved(h, len)),
      shutdown: (h) => this.call(() => this.lwip.tcp_shutdown(h)),
      close: (h) => this.call(() => this.lwip.tcp_close(h)),
      abort: (h) => this.call(() => this.lwip.tcp_abort(h)),
      forget: (h) => this.connections.delete(h),
    };
  }

  /** `wasm`: the bytes of .cache/lwip/lwip.wasm, or that module compiled once for many stacks. */
  static async create(wasm: BufferSource | WebAssembly.Module, config: StackConfig): Promise<TcpIpStack> {
    const mac = parseUnicastMac(config.mac);
    const address = parseIpv4(config.address);
    const netmask = prefixToNetmask(config.prefix);
    const gateway = config.gateway === undefined ? 0 : parseIpv4(config.gateway);
    const stack = new TcpIpStack(formatIpv4(address), netmask);
    stack.lwip = await instantiateLwip(wasm, stack.events());
    stack.lwip.ioBuffer().set(mac);
    const err = stack.call(() => stack.lwip.init(address, netmask, gateway));
    if (err !== 0) throw tcpErrorOf(err, 'stack initialisation', false);
    stack.netifs.set(stack.address, { index: 0, macKey: macKey(mac) });
    stack.timer = setInterval(() => stack.tick(), TICK_MS);
    return stack;
  }

  /** Where outgoing Ethernet frames go; each frame is the listener's own copy. */
  onFrame(listener: (frame: Uint8Array) => void): void {
    this.frameListener = listener;
  }

  /** An Ethernet frame from the wire (copied; the caller may reuse it). */
  input(frame: Uint8Array): void {
    if (frame.length > MAX_ETHERNET_FRAME) throw new InvalidParameterError(`frame of ${frame.length} bytes exceeds ${MAX_ETHERNET_FRAME}`);
    if (this.depth > 0) {
      this.inbox.push(frame.slice());
      return;
    }
    this.call(() => this.deliver(frame));
  }

  /** Frames dropped because none of the stack's addresses has their destination MAC. */
  get unknownMacFrames(): number {
    return this.unknownMac;
  }

  /**
   * Makes the stack speak for one more address on the same segment (the primary's subnet): it
   * answers ARP and ping for it with `mac`, and accepts TCP connections to it; what it sends
   * for those leaves from that address and MAC.
   */
  addAddress(address: string, mac: string): StackAddress {
    const ip = parseIpv4(address);
    const text = formatIpv4(ip);
    const macBytes = parseUnicastMac(mac);
    const key = macKey(macBytes);
    checkHostInSubnet(ip, parseIpv4(this.address), this.netmask, text);
    if (this.netifs.has(text)) throw new InvalidParameterError(`address ${text} is already one of this stack's`);
    if ([...this.netifs.values()].some((n) => n.macKey === key)) throw new InvalidParameterError(`MAC address ${mac} is already one of this stack's`);
    const index = this.call(() => {
      this.lwip.ioBuffer().set(macBytes);
      return this.lwip.netif_add(ip);
    });
    if (isOutOfMemory(index)) throw new TcpError('ENOBUFS', `add address ${text}: a stack has at most ${this.lwip.netif_max()} addresses`);
    if (index < 0) throw tcpErrorOf(index, `add address ${text}`, false);
    const netif: Netif = { index, macKey: key };
    this.netifs.set(text, netif);
    return { address: text, mac: formatMac(macBytes), remove: () => this.removeAddress(text, netif) };
  }

  /** Bound to `address` (one of the stack's) when given, else to any of its addresses. */
  listen(port: number, onConnection: (connection: TcpConnection) => void, address?: string): TcpListener {
    checkPort(port, 'listen');
    const bound = address === undefined ? undefined : this.ownAddress(address);
    const h = this.call(() => this.lwip.tcp_listen(port, bound === undefined ? 0 : parseIpv4(bound)));
    if (h < 0) throw tcpErrorOf(h, `listen on ${bound ?? '*'}:${port}`, false);
    this.listeners.set(h, { onConnection, address: bound });
    return {
      port,
      close: () => {
        if (!this.listeners.delete(h)) return;
        this.call(() => this.lwip.tcp_close(h));
      },
    };
  }

  connect(address: string, port: number): Promise<TcpConnection> {
    const to = parseIpv4(address);
    checkPort(port, 'destination');
    const what = `connect to ${address}:${port}`;
    const h = this.call(() => this.lwip.tcp_connect(to, port));
    if (h < 0) return Promise.reject(tcpErrorOf(h, what, false));
    return new Promise((resolve, reject) => this.connecting.set(h, { resolve, reject, what }));
  }

  /** An ICMP echo; resolves with the round trip in milliseconds. */
  ping(address: string, timeoutMs = 1000): Promise<number> {
    const to = parseIpv4(address);
    const sequence = (this.pingSequence = (this.pingSequence + 1) & 0xffff);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        this.pings.delete(sequence);
        reject(new TcpTimedOutError(`ping ${address}: no reply in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pings.set(sequence, (from) => {
        if (from !== to) return;
        clearTimeout(timeout);
        this.pings.delete(sequence);
        resolve(performance.now() - started);
      });
      const err = this.call(() => this.lwip.ping(to, sequence));
      if (err !== 0) {
        clearTimeout(timeout);
        this.pings.delete(sequence);
        reject(tcpErrorOf(err, `ping ${address}`, false));
      }
    });
  }

  /** Resets every connection and stops the timers; the stack is unusable afterwards. */
  close(): void {
    clearInterval(this.timer);
    for (const c of [...this.connections.values()]) c.reset();
    for (const [h, pending] of this.connecting) {
      this.call(() => this.lwip.tcp_abort(h));
      pending.reject(new TcpError('ECONNABORTED', `${pending.what}: the stack was closed`));
    }
    this.connecting.clear();
    this.frameListener = undefined;
  }

  private ownAddress(address: string): string {
    const text = formatIpv4(parseIpv4(address));
    if (!this.netifs.has(text)) throw new InvalidParameterError(`address ${text} is not one of this stack's`);
    return text;
  }

  private removeAddress(text: string, netif: Netif): void {
    if (this.netifs.get(text) !== netif) return; // removed already
    this.netifs.delete(text);
    for (const c of [...this.connections.values()]) if (c.local.address === text) c.reset();
    for (const [h, listener] of this.listeners) {
      if (listener.address !== text) continue;
      this.listeners.delete(h);
      this.call(() => this.lwip.tcp_close(h));
    }
    this.call(() => this.lwip.netif_remove(netif.index));
  }

  private tick(): void {
    this.call(() => this.lwip.tick());
    // A write that found lwIP's heap full (not just this connection's buffer) waits for no ACK.
    for (const c of this.connections.values()) if (c.writing) c.pump();
  }

  private deliver(frame: Uint8Array): void {
    this.lwip.ioBuffer().set(frame);
    // A refused frame (pool full, bad checksum, another host's MAC) is dropped, as on a NIC.
    if (this.lwip.input(frame.length) === LWIP_NOT_FOR_US) this.unknownMac++;
  }

  private call<T>(fn: () => T): T {
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
      if (this.depth === 0 && this.inbox.length > 0 && !this.draining) this.drain();
    }
  }

  private drain(): void {
    this.draining = true;
    try {
      for (let frame = this.inbox.shift(); frame; frame = this.inbox.shift()) this.call(() => this.deliver(frame));
    } finally {
      this.draining = false;
    }
  }

  private connection(h: number): TcpConnection {
    const lwip = this.lwip;
    return new TcpConnection(
      h,
      this.ops,
      { address: formatIpv4(lwip.tcp_local_address(h) >>> 0), port: lwip.tcp_local_port(h) },
      { address: formatIpv4(lwip.tcp_remote_address(h) >>> 0), port: lwip.tcp_remote_port(h) },
    );
  }

  private events(): LwipEvents {
    return {
      output: (frame) => this.frameListener?.(frame.slice()),
      tcpAccepted: (listener, h) => {
        const onConnection = this.listeners.get(listener)?.onConnection;
        const c = this.connection(h);
        this.connections.set(h, c);
        if (onConnection) queueMicrotask(() => onConnection(c));
      },
      tcpConnected: (h) => {
        const pending = this.connecting.get(h);
        this.connecting.delete(h);
        const c = this.connection(h);
        this.connections.set(h, c);
        pending?.resolve(c);
      },
      tcpRecv: (h, data) => {
        const c = this.connections.get(h);
        if (data === null) c?.onPeerFinished();
        else c?.onData(data);
      },
      tcpSent: (h) => this.connections.get(h)?.pump(),
      tcpError: (h, err) => {
        const pending = this.connecting.get(h);
        if (pending) {
          this.connecting.delete(h);
          pending.reject(tcpErrorOf(err, pending.what, false));
          return;
        }
        this.connections.get(h)?.onError(err);
      },
      pingReply: (from, sequence) => this.pings.get(sequence)?.(from),
    };
  }
}
