// What the network Worker (net/fabric-worker.ts) offers the engine: one virtual Ethernet switch
// per network, each with the network's gateway answering on it (ARP, ping, embedded DNS).

/** Where each network's gateway runs its HTTP proxy (the containers' http_proxy), as squid's port. */
export const GATEWAY_PROXY_PORT = 3128;

export interface NetworkConfig {
  /** `172.18.0.0/16`. */
  readonly subnet: string;
  /** The gateway's address in the subnet: `172.18.0.1`. */
  readonly gateway: string;
  /** `docker network create --internal`: no traffic leaves the network (no egress). */
  readonly internal?: boolean;
}

/** A name the gateway's DNS answers with an A record (a container's name, alias or ID). */
export interface DnsRecord {
  readonly name: string;
  readonly address: string;
}

/**
 * A service's virtual IP on a network: the engine's stack takes `address` (with `mac`) and hands
 * each TCP connection to it, on any port, to one of `backends` (the addresses of the service's
 * running, healthy replicas), round robin.
 */
export interface VirtualIpConfig {
  readonly address: string;
  readonly mac: string;
  readonly backends: readonly string[];
}

export interface SwitchPortStats {
  readonly mac: string;
  /** Frames the port sent into the switch, and those the switch delivered to it. */
  readonly framesIn: number;
  readonly framesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Frames for this port dropped because its queue was full. */
  readonly dropped: number;
}

export interface NetworkStats {
  readonly ports: readonly SwitchPortStats[];
  /** MAC addresses the switch has learned, with the port (its MAC at attach) each is behind. */
  readonly learned: number;
  /** Frames no port would take: to an unknown port on a switch with no other, or malformed. */
  readonly discarded: number;
  /** Frames the gateway answered (ARP, ICMP, DNS). */
  readonly gatewayAnswers: number;
}

export interface FabricApi {
  createNetwork(id: string, config: NetworkConfig): Promise<void>;
  /** Detaches every port (closing them) and forgets the network. */
  removeNetwork(id: string): Promise<void>;
  /**
   * Plugs `port` (transferred; one Ethernet frame a message, both ways) into the network's
   * switch, for the interface with `mac`.
   */
  attach(id: string, port: MessagePort, mac: string): Promise<void>;
  detach(id: string, mac: string): Promise<void>;
  /** Replaces the names the gateway's DNS answers for. */
  setRecords(id: string, records: readonly DnsRecord[]): Promise<void>;
  stats(id: string): Promise<NetworkStats>;
  /**
   * A TCP connection from the network's gateway (the engine's TCP/IP stack) to `address:port`
   * on the network; `stream` (transferred) carries it as StreamMessages. Rejects with
   * ConnectionRefusedError when nothing answers there.
   */
  connect(id: string, address: string, port: number, stream: MessagePort): Promise<void>;
  /**
   * Where connections beyond the networks go: the project's proxy's egress endpoint
   * (`ws://host/egress`), or null for none (the gateway's HTTP proxy then refuses them).
   */
  setEgress(url: string | null): Promise<void>;
  /** Where lwIP's wasm module is served (an absolute URL), when not `/net/lwip.wasm` on the Worker's origin. */
  setLwipUrl(url: string): Promise<void>;
  /**
   * Answers TCP for a container without a NIC (a WASI server) at `address`: the engine's stack
   * takes the address (with `mac`) on the network and accepts on `ports`; each connection is
   * handed to `dial(port)`, which returns the container's end of a stream (transferred).
   * `detach(id, mac)` ends it.
   */
  serve(id: string, mac: string, address: string, ports: readonly number[], dial: (port: number) => Promise<MessagePort>): Promise<void>;
  /** Takes a service's virtual IP on the network, or replaces its backends. */
  setVirtualIp(id: string, vip: VirtualIpConfig): Promise<void>;
  /** Gives the virtual IP up: its connections are reset. Nothing when it was not set. */
  removeVirtualIp(id: string, address: string): Promise<void>;
}
