// The networks of one network Worker: a switch and its gateway per network (FabricApi).
import { ConflictError, InvalidParameterError, NotFoundError } from '../core/errors.ts';
import { parseCidr, parseIpv4 } from '../core/net/address.ts';
import type { DnsRecord, FabricApi, NetworkConfig, NetworkStats } from '../core/net/fabric-api.ts';
import { EthernetSwitch } from './ethernet-switch.ts';
import { Gateway } from './gateway.ts';

interface Network {
  readonly switch: EthernetSwitch;
  readonly gateway: Gateway;
}

export class Fabric implements FabricApi {
  private readonly networks = new Map<string, Network>();

  constructor(private readonly queueLimit?: number) {}

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
    this.networks.set(id, { switch: sw, gateway });
  }

  async removeNetwork(id: string): Promise<void> {
    this.get(id).switch.close();
    this.networks.delete(id);
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
