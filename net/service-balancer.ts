// Service virtual IPs of one network: the engine's TCP/IP stack takes each VIP as an address of its
// own and splices every connection it accepts there to one of the service's replicas, chosen round
// robin per new connection (Swarm's IPVS default). The stack terminates the client's TCP and opens
// a second connection to the replica, as the gateway's HTTP proxy does for egress: no NAT state to
// keep in the switch, and a replica that refuses is skipped for the next one before the client
// sees an error. The cost is a second TCP hop inside the network Worker, small beside the
// containers' own stacks (README "Networks", lwIP at 1.5 Gbit/s through two stacks).
//
// A VIP answers on every port, as Swarm's does: a SYN to a port of a VIP with no listener yet opens
// one (before the stack sees that SYN), so services need not declare their ports.
import { formatIpv4, type Ipv4, parseIpv4 } from '../core/net/address.ts';
import type { VirtualIpConfig } from '../core/net/fabric-api.ts';
import type { Duplex } from '../core/stream-port.ts';
import type { StackAddress, TcpConnection, TcpIpStack, TcpListener } from './tcpip/index.ts';

interface Vip {
  readonly at: StackAddress;
  backends: readonly string[];
  /** The round robin's position: the backend the next connection tries first. */
  next: number;
  readonly listeners: Map<number, TcpListener>;
}

const ETHERTYPE_IPV4 = 0x0800;
const PROTO_TCP = 6;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

export class ServiceBalancer {
  private readonly vips = new Map<Ipv4, Vip>();

  constructor(
    private readonly stack: TcpIpStack,
    /** A connection from the network's gateway to a replica (a NIC's or one the stack serves). */
    private readonly dialBackend: (address: string, port: number) => Promise<Duplex>,
  ) {}

  get size(): number {
    return this.vips.size;
  }

  has(ip: Ipv4): boolean {
    return this.vips.has(ip);
  }

  /** Takes the VIP (its address and MAC) on the stack, or only replaces its backends. */
  set(config: VirtualIpConfig): void {
    const ip = parseIpv4(config.address);
    const vip = this.vips.get(ip);
    if (vip) {
      vip.backends = [...config.backends];
      return;
    }
    const at = this.stack.addAddress(formatIpv4(ip), config.mac);
    this.vips.set(ip, { at, backends: [...config.backends], next: 0, listeners: new Map() });
  }

  remove(ip: Ipv4): void {
    const vip = this.vips.get(ip);
    if (!vip) return;
    this.vips.delete(ip);
    // Removing the address closes its listeners and resets its connections.
    vip.at.remove();
  }

  /**
   * A frame on its way to the stack: a TCP SYN to a port of a VIP that nothing listens on yet gets
   * a listener first, so the stack accepts it instead of answering RST. Reads only fixed offsets:
   * every frame for the stack passes here.
   */
  beforeInput(frame: Uint8Array): void {
    if (this.vips.size === 0 || frame.length < 14 + 20 + 14) return;
    if (((frame[12]! << 8) | frame[13]!) !== ETHERTYPE_IPV4 || frame[14 + 9] !== PROTO_TCP) return;
    const dst = ((frame[30]! << 24) | (frame[31]! << 16) | (frame[32]! << 8) | frame[33]!) >>> 0;
    const vip = this.vips.get(dst);
    if (!vip) return;
    const tcp = 14 + (frame[14]! & 15) * 4;
    if (frame.length < tcp + 14 || (frame[tcp + 13]! & (TCP_SYN | TCP_ACK)) !== TCP_SYN) return;
    const port = (frame[tcp + 2]! << 8) | frame[tcp + 3]!;
    if (vip.listeners.has(port)) return;
    vip.listeners.set(
      port,
      this.stack.listen(port, (conn) => void this.splice(dst, port, conn), vip.at.address),
    );
  }

  /** A connection to `ip:port` on a replica: tries them round robin, skipping those that refuse. */
  async dial(ip: Ipv4, port: number): Promise<Duplex> {
    const vip = this.vips.get(ip);
    const backends = vip?.backends ?? [];
    let last: unknown = new Error(`dial tcp ${formatIpv4(ip)}:${port}: connection refused (the service has no running, healthy replica)`);
    for (let tries = 0; vip && tries < backends.length; tries++) {
      const i = vip.next % backends.length;
      vip.next = i + 1;
      const to = backends[i]!;
      try {
        return await this.dialBackend(to, port);
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  private async splice(ip: Ipv4, port: number, conn: TcpConnection): Promise<void> {
    let far: Duplex;
    try {
      far = await this.dial(ip, port);
    } catch {
      await conn.writable.abort().catch(() => undefined);
      return;
    }
    void conn.readable.pipeTo(far.writable).catch(() => undefined);
    void far.readable.pipeTo(conn.writable).catch(() => undefined);
  }
}
