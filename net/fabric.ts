// The networks of one network Worker: a switch and its gateway per network (FabricApi), and the
// engine's TCP/IP stack on a network's gateway address once a container joins it or the engine
// opens a connection there. The stack runs the gateway's HTTP proxy (egress, net/egress/) and
// answers for the containers that have no NIC (WASI servers), and for services' virtual IPs
// (net/service-balancer.ts).
import { ConflictError, ConnectionRefusedError, InvalidParameterError, NotFoundError } from '../core/errors.ts';
import { formatIpv4, formatMac, parseCidr, parseIpv4, parseMac } from '../core/net/address.ts';
import { type DnsRecord, type FabricApi, GATEWAY_PROXY_PORT, type NetworkConfig, type NetworkStats, type VirtualIpConfig } from '../core/net/fabric-api.ts';
import { type Duplex, streamPort } from '../core/stream-port.ts';
import { serveProxyConnection } from './egress/forward-proxy.ts';
import { openEgressTunnel } from './egress/websocket-tunnel.ts';
import { EthernetSwitch } from './ethernet-switch.ts';
import { Gateway } from './gateway.ts';
import { ServiceBalancer } from './service-balancer.ts';
import { type StackAddress, TcpError, TcpIpStack, type TcpListener } from './tcpip/index.ts';

/** A container the stack answers for: its address on the stack and the ports it accepts on. */
interface Served {
  readonly ip: number;
  readonly address: StackAddress;
  readonly listeners: readonly TcpListener[];
  readonly dial: (port: number) => Promise<MessagePort>;
}

interface Network {
  readonly config: NetworkConfig;
  readonly subnet: { readonly address: number; readonly mask: number };
  readonly switch: EthernetSwitch;
  readonly gateway: Gateway;
  stack?: Promise<TcpIpStack>;
  /** Services' virtual IPs, once the stack runs. */
  balancer?: ServiceBalancer;
  /** By MAC (as the engine names it). */
  readonly served: Map<string, Served>;
}

/** Compiles lwIP's wasm module (scripts/lwip/build.sh), once per Worker: from `url` when it was set (setLwipUrl). */
export type LwipLoader = (url?: string) => Promise<WebAssembly.Module>;

export class Fabric implements FabricApi {
  private readonly networks = new Map<string, Network>();
  private lwip: Promise<WebAssembly.Module> | undefined;
  private egress: string | null = null;
  private lwipUrl: string | undefined;

  constructor(
    private readonly queueLimit?: number,
    private readonly loadLwip?: LwipLoader,
  ) {}

  private get(id: string): Network {
    const n = this.networks.get(id);
    if (!n) throw new NotFoundError(`network ${id} not found`);
    return n;
  }

  async setEgress(url: string | null): Promise<void> {
    this.egress = url;
  }

  async setLwipUrl(url: string): Promise<void> {
    this.lwipUrl = url;
  }

  async createNetwork(id: string, config: NetworkConfig): Promise<void> {
    if (this.networks.has(id)) throw new ConflictError(`network ${id} already exists`);
    const subnet = parseCidr(config.subnet);
    const gw = parseIpv4(config.gateway);
    const mask = subnet.prefix === 0 ? 0 : (~0 << (32 - subnet.prefix)) >>> 0;
    if ((gw & mask) >>> 0 !== (subnet.address & mask) >>> 0) {
      throw new InvalidParameterError(`gateway ${config.gateway} is not in subnet ${config.subnet}`);
    }
    const sw = new EthernetSwitch(this.queueLimit);
    const gateway: Gateway = new Gateway(gw, (frame) => sw.inject(frame, gateway));
    sw.addLocal(gateway);
    this.networks.set(id, { config, subnet: { address: (subnet.address & mask) >>> 0, mask }, switch: sw, gateway, served: new Map() });
  }

  async removeNetwork(id: string): Promise<void> {
    const n = this.get(id);
    n.switch.close();
    this.networks.delete(id);
    void n.stack?.then((s) => s.close());
  }

  async connect(id: string, address: string, port: number, stream: MessagePort): Promise<void> {
    let conn: Duplex;
    try {
      conn = await this.dial(this.get(id), address, port);
    } catch (e) {
      stream.close();
      throw e;
    }
    pipeBoth(conn, streamPort(stream));
  }

  async attach(id: string, port: MessagePort, mac: string): Promise<void> {
    const n = this.get(id);
    n.switch.attach(mac, port);
    // The gateway's HTTP proxy must listen before the container's first request.
    if (this.loadLwip) void this.stackOf(n).catch(() => undefined);
  }

  async detach(id: string, mac: string): Promise<void> {
    const n = this.get(id);
    const served = n.served.get(mac);
    if (served) {
      n.served.delete(mac);
      n.gateway.unserve(served.ip);
      for (const l of served.listeners) l.close();
      served.address.remove();
      return;
    }
    n.switch.detach(mac);
  }

  async serve(id: string, mac: string, address: string, ports: readonly number[], dial: (port: number) => Promise<MessagePort>): Promise<void> {
    const n = this.get(id);
    if (n.served.has(mac)) throw new ConflictError(`${mac} is already served on network ${id}`);
    const stack = await this.stackOf(n);
    const ip = parseIpv4(address);
    const at = stack.addAddress(formatIpv4(ip), mac);
    const listeners = ports.map((p) =>
      stack.listen(
        p,
        (conn) =>
          void dial(p).then(
            (far) => pipeBoth(conn, streamPort(far)),
            () => conn.writable.abort(),
          ),
        at.address,
      ),
    );
    n.served.set(mac, { ip, address: at, listeners, dial });
    n.gateway.serve(ip, parseMac(mac));
  }

  async setVirtualIp(id: string, vip: VirtualIpConfig): Promise<void> {
    const n = this.get(id);
    await this.stackOf(n);
    const balancer = n.balancer!; // made with the stack
    const ip = parseIpv4(vip.address);
    const fresh = !balancer.has(ip);
    balancer.set(vip);
    if (fresh) n.gateway.serve(ip, parseMac(vip.mac));
  }

  async removeVirtualIp(id: string, address: string): Promise<void> {
    const n = this.get(id);
    const ip = parseIpv4(address);
    if (!n.balancer?.has(ip)) return;
    n.gateway.unserve(ip);
    n.balancer.remove(ip);
  }

  async setRecords(id: string, records: readonly DnsRecord[]): Promise<void> {
    this.get(id).gateway.setRecords(records);
  }

  async stats(id: string): Promise<NetworkStats> {
    const n = this.get(id);
    return { ports: n.switch.portStats(), learned: n.switch.learned, discarded: n.switch.discarded, gatewayAnswers: n.gateway.answers };
  }

  private stackOf(n: Network): Promise<TcpIpStack> {
    return (n.stack ??= this.startStack(n));
  }

  private async dial(n: Network, address: string, port: number): Promise<Duplex> {
    // The stack cannot connect to an address of its own: a served container is dialled as the
    // stack would hand it a connection.
    const ip = parseIpv4(address);
    if (n.balancer?.has(ip)) return n.balancer.dial(ip, port);
    const served = [...n.served.values()].find((x) => x.ip === ip);
    if (served) {
      if (!served.listeners.some((l) => l.port === port)) throw new ConnectionRefusedError(`dial tcp ${address}:${port}: connection refused`);
      return streamPort(await served.dial(port));
    }
    const stack = await this.stackOf(n);
    try {
      return await stack.connect(address, port);
    } catch (e) {
      if (e instanceof TcpError) throw new ConnectionRefusedError(`dial tcp ${address}:${port}: ${e.message}`);
      throw e;
    }
  }

  /** The engine's TCP/IP stack on the network's gateway address and MAC, with the HTTP proxy. */
  private async startStack(n: Network): Promise<TcpIpStack> {
    if (!this.loadLwip) throw new ConnectionRefusedError('this network Worker has no TCP/IP stack');
    const module = await (this.lwip ??= this.loadLwip(this.lwipUrl));
    const { prefix } = parseCidr(n.config.subnet);
    const stack = await TcpIpStack.create(module, { mac: formatMac(n.gateway.mac), address: n.config.gateway, prefix });
    stack.onFrame((frame) => n.switch.inject(frame, n.gateway));
    const balancer = new ServiceBalancer(stack, (address, port) => this.dial(n, address, port));
    n.balancer = balancer;
    n.gateway.takeStack({
      input: (frame) => {
        balancer.beforeInput(frame);
        stack.input(frame);
      },
    });
    stack.listen(GATEWAY_PROXY_PORT, (conn) => void serveProxyConnection(conn, this.proxyRoutes(n)), n.config.gateway);
    return stack;
  }

  private proxyRoutes(n: Network) {
    const egress = this.egress;
    const local = (host: string): string | undefined => {
      const known = n.gateway.lookup(host);
      if (known !== undefined) return formatIpv4(known);
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(host)) return undefined;
      const ip = parseIpv4(host);
      return (ip & n.subnet.mask) >>> 0 === n.subnet.address ? host : undefined;
    };
    return {
      local,
      dialLocal: (address: string, port: number) => this.dial(n, address, port),
      dialEgress: egress && !n.config.internal ? (host: string, port: number) => openEgressTunnel(egress, host, port) : undefined,
      noEgress: n.config.internal
        ? `network is internal: no egress (docker network create --internal)`
        : 'no egress: this engine has no proxy to reach beyond its networks (Engine.open({ egress }), README "Egress")',
    };
  }
}

/** Bytes both ways between two duplexes; an error on either side ends both. */
function pipeBoth(a: Duplex, b: Duplex): void {
  void a.readable.pipeTo(b.writable).catch(() => undefined);
  void b.readable.pipeTo(a.writable).catch(() => undefined);
}
