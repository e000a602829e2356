// A process's listening sockets (spec.network.listenPorts, preopened as fds after the root
// directory) and the connections the node hands it. One change signal for all of them: a poll
// or a blocked accept/recv waits on it and looks again, so waiters never pile up per socket.
import { SocketConnection } from './socket-connection.ts';

/** Connections waiting for accept() beyond this many are refused, as a full listen backlog. */
const BACKLOG = 128;

export class Listener {
  readonly backlog: SocketConnection[] = [];
  closed = false;
  constructor(readonly port: number) {}
}

export class SocketHub {
  readonly listeners: readonly Listener[];
  private readonly open = new Set<SocketConnection>();
  private waiters: (() => void)[] = [];
  private ended = false;

  constructor(ports: readonly number[]) {
    this.listeners = ports.map((p) => new Listener(p));
  }

  private readonly notify = (): void => {
    for (const w of this.waiters.splice(0)) w();
  };

  /** Resolves at the next change of any socket of this process. */
  changed(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  /** Resolves after the messages already queued for this Worker (a macrotask later). */
  delivered(): Promise<void> {
    return new Promise((r) => {
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = () => {
        port1.close();
        r();
      };
      port2.postMessage(null);
    });
  }

  /** A connection from the node for container port `port`. */
  connect(port: number, stream: MessagePort): void {
    const conn = new SocketConnection(stream, this.notify);
    const l = this.listeners.find((x) => x.port === port && !x.closed);
    if (this.ended || !l) conn.abort('connection refused');
    else if (l.backlog.length >= BACKLOG) conn.abort('connection refused: listen backlog full');
    else {
      this.open.add(conn);
      l.backlog.push(conn);
      this.notify();
    }
  }

  /** The oldest connection waiting on `l`, now the program's. */
  accept(l: Listener): SocketConnection | undefined {
    return l.backlog.shift();
  }

  /** The program closed a listening fd: waiting connections are refused, and later ones. */
  closeListener(l: Listener): void {
    l.closed = true;
    for (const c of l.backlog.splice(0)) {
      c.abort('connection refused');
      this.open.delete(c);
    }
  }

  closeConnection(c: SocketConnection): void {
    c.close();
    this.open.delete(c);
  }

  /** The process ended: its connections close as the kernel closes them, waiting ones are refused. */
  closeAll(): void {
    this.ended = true;
    for (const l of this.listeners) this.closeListener(l);
    for (const c of this.open) c.close();
    this.open.clear();
    this.notify();
  }
}
