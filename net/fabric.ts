// The networks of one network Worker: a switch and its gateway per network (FabricApi), and the
// engine's TCP/IP stack on a network's gateway address once the engine opens a connection there.
import { ConflictError, ConnectionRefusedError, InvalidParameterError, NotFoundError } from '../core/errors.ts';
import { formatMac, parseCidr, parseIpv4 } from '../core/net/address.ts';
import type { DnsRecord, FabricApi, NetworkConfig, NetworkStats } from '../core/net/fabric-api.ts';
import { streamPort } from '../core/stream-port.ts';
import { EthernetSwitch } from './ethernet-switch.ts';
import { Gateway } from './gateway.ts';
import { TcpError, TcpIpStack } from './tcpip/index.ts';

interface Network {
  readonly config: NetworkConfig;
  readonly switch: EthernetSwitch;
  readonly gateway: Gateway;
  stack?: Promise<TcpIpStack>;
}

/** Compiles lwIP's wasm module (scripts/lwip/build.sh), once per Worker. */
export type LwipLoader = () => Promise<WebAssembly.Module>;

export class Fabric implements FabricApi {
  private readonly networks = new Map<string, Network>();
  private lwip: Promise<WebAssembly.Module> | undefined;

  constructor(
    private readonly queueLimit?: number,
    private readonly loadLwip?: LwipLoader,
  ) {}

  private get(id: string): Network {
    const n = this.networks.get(id);
    if (!n) throw new NotFoundError(`network ${id} not found`);
    return n;
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
    this.networks.set(id, { config, switch: sw, gateway });
  }

  async removeNetwork(id: string): Promise<void> {
    const n = this.get(id);
    n.switch.close();
    this.networks.delete(id);
    void n.stack?.then((s) => s.close());
  }

  async connect(id: string, address: string, port: number, stream: MessagePort): Promise<void> {
    const n = this.get(id);
    const stack = await (n.stack ??= this.startStack(n));
    let conn: Awaited<ReturnType<TcpIpStack['connect']>>;
    try {
      conn = await stack.connect(address, port);
    } catch (e) {
      stream.close();
      if (e instanceof TcpError) throw new ConnectionRefusedError(`dial tcp ${address}:${port}: ${e.message}`);
      throw e;
    }
    const d = streamPort(stream);
    void conn.readable.pipeTo(d.writable).catch(() => undefined);
    void d.readable.pipeTo(conn.writable).catch(() => undefined);
  }

  /** The engine's TCP/IP stack on the network's gateway address and MAC. */
  private async startStack(n: Network): Promise<TcpIpStack> {
    if (!this.loadLwip) throw new ConnectionRefusedError('this network Worker has no TCP/IP stack');
    const module = await (this.lwip ??= this.loadLwip());
    const { prefix } = parseCidr(n.config.subnet);
    const stack = await TcpIpStack.create(module, { mac: formatMac(n.gateway.mac), address: n.config.gateway, prefix });
    stack.onFrame((frame) => n.switch.inject(frame, n.gateway));
    n.gateway.takeStack(stack);
    return stack;
  }

  async attach(id: string, port: MessagePort, mac: string): Promise<void> {
    this.get(id).switch.attach(mac, port);
  }

  async detach(id: string, mac: string): Promise<void> {
    this.get(id).switch.detach(mac);
  }

  async setRecords(id: string, records: readonly DnsRecord[]): Promise<void> {
    this.get(id).gateway.setRecords(records);
  }

  async stats(id: string): Promise<NetworkStats> {
    const n = this.get(id);
    return { ports: n.switch.portStats(), learned: n.switch.learned, discarded: n.switch.discarded, gatewayAnswers: n.gateway.answers };
  }
}
