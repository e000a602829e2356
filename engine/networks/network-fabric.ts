import type { DnsRecord, NetworkConfig, VirtualIpConfig } from '../../core/net/fabric-api.ts';

export type { DnsRecord, NetworkConfig, VirtualIpConfig };

/**
 * The seam between the engine's network model and whatever carries the packets (a switch per
 * network, in a network Worker). The engine tells it what exists; it never asks the engine back.
 * Methods may answer at once or with a promise: the engine awaits them either way.
 */
export interface NetworkFabric {
  /** A network with a subnet (`172.18.0.0/16`) and its gateway (`172.18.0.1`), the engine's side. */
  createNetwork(id: string, config: NetworkConfig): void | Promise<void>;
  removeNetwork(id: string): void | Promise<void>;
  /** Plugs a NIC into the network's switch; the port carries its Ethernet frames both ways. */
  attach(networkId: string, nic: { readonly mac: string; readonly address: string }): MessagePort | Promise<MessagePort>;
  /** Unplugs it; a MAC that is not plugged in there is no error (a start that failed half-way). */
  detach(networkId: string, mac: string): void | Promise<void>;
  /** Every name the network's DNS answers now (replaces what was set before). */
  setRecords(networkId: string, records: readonly DnsRecord[]): void | Promise<void>;
  /**
   * A TCP connection from the network's gateway to `address:port` (a container with a NIC):
   * the engine's end of a stream of StreamMessages. A fabric without a TCP/IP stack has none.
   */
  connect?(networkId: string, address: string, port: number): Promise<MessagePort>;
  /**
   * Answers TCP on `ports` at the address of a container that has no NIC (a WASI server), so the
   * network's other containers reach it; each connection goes to `dial(port)`, the container's
   * stream. `detach(networkId, nic.mac)` ends it. A fabric without a TCP/IP stack has none.
   */
  serve?(
    networkId: string,
    nic: { readonly mac: string; readonly address: string },
    ports: readonly number[],
    dial: (port: number) => Promise<MessagePort>,
  ): Promise<void>;
  /**
   * A service's virtual IP on the network, balancing TCP connections over `backends` (replaces
   * them when it exists). A fabric without a TCP/IP stack has none.
   */
  setVirtualIp?(networkId: string, vip: VirtualIpConfig): Promise<void>;
  removeVirtualIp?(networkId: string, address: string): Promise<void>;
}
