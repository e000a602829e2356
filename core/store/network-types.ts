/** One address pool of a network, as Docker's `IPAM.Config` entries. */
export interface IpamPool {
  readonly Subnet: string;
  readonly Gateway: string;
  /** Only present when `--ip-range` narrowed where container addresses come from. */
  readonly IPRange?: string;
}

/** A container attached to a network while it runs: an entry of `docker network inspect`'s `Containers`. */
export interface NetworkEndpoint {
  readonly Name: string;
  readonly EndpointID: string;
  readonly MacAddress: string;
  /** With the prefix length: `172.18.0.2/16`. */
  readonly IPv4Address: string;
  readonly IPv6Address: string;
  /** Names it answers to on this network's DNS besides its name and short ID (`--network-alias`). */
  readonly Aliases: readonly string[];
}

export type NetworkDriver = 'bridge' | 'host' | 'null';

/** A network, shaped like Docker's `docker network inspect` output. */
export interface NetworkRecord {
  readonly Name: string;
  /** 64 hex digits. */
  readonly Id: string;
  readonly Created: string;
  readonly Scope: 'local';
  readonly Driver: NetworkDriver;
  readonly EnableIPv6: false;
  readonly IPAM: { readonly Driver: 'default'; readonly Options: Readonly<Record<string, string>>; readonly Config: readonly IpamPool[] };
  readonly Internal: boolean;
  readonly Attachable: boolean;
  readonly Ingress: false;
  readonly ConfigFrom: { readonly Network: string };
  readonly ConfigOnly: false;
  /** Keyed by container ID: the containers running on it now. */
  readonly Containers: Readonly<Record<string, NetworkEndpoint>>;
  readonly Options: Readonly<Record<string, string>>;
  readonly Labels: Readonly<Record<string, string>>;
}
