// A stand-in for the packet side (NetworkFabric): it records what the engine told it and hands
// out real MessagePorts, so specs carry them to the (fake) nodes as they would to real ones.
import type { DnsRecord, NetworkConfig, NetworkFabric } from '../../../engine/networks/network-fabric.ts';

export class FakeFabric implements NetworkFabric {
  readonly networks = new Map<string, NetworkConfig>();
  readonly nics = new Map<string, { networkId: string; address: string; port: MessagePort }>();
  readonly dns = new Map<string, readonly DnsRecord[]>();

  createNetwork(id: string, config: NetworkConfig): void {
    this.networks.set(id, config);
  }

  removeNetwork(id: string): void {
    this.networks.delete(id);
  }

  attach(networkId: string, nic: { mac: string; address: string }): MessagePort {
    if (!this.networks.has(networkId)) throw new Error(`no switch for network ${networkId}`);
    const { port1, port2 } = new MessageChannel();
    this.nics.set(nic.mac, { networkId, address: nic.address, port: port1 });
    return port2;
  }

  detach(_networkId: string, mac: string): void {
    this.nics.get(mac)?.port.close();
    this.nics.delete(mac);
  }

  setRecords(networkId: string, records: readonly DnsRecord[]): void {
    this.dns.set(networkId, records);
  }

  /** Closes the switch ends, so a test ends without open handles. */
  close(): void {
    for (const n of this.nics.values()) n.port.close();
  }
}
