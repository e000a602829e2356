import { ConflictError, InvalidParameterError, isOutOfSpace, NotFoundError } from '../../core/errors.ts';
import type { Db } from '../../core/store/db.ts';
import type { IpamPool, NetworkDriver, NetworkEndpoint, NetworkRecord } from '../../core/store/network-types.ts';
import type { EventBus } from '../events.ts';
import { randomHex } from '../random-hex.ts';
import { allocateAddress, DEFAULT_BRIDGE_POOL, planPool, prefixLength } from './ipam.ts';
import { macOf, parseIp } from './ipv4.ts';
import { NetworkForbiddenError } from './network-errors.ts';
import type { DnsRecord, NetworkFabric } from './network-fabric.ts';
import { filterNetworks, isPredefined } from './network-filters.ts';

export interface NetworkCreateOptions {
  readonly name: string;
  /** Only `bridge` (the default) makes a new network here. */
  readonly driver?: string;
  readonly subnet?: string;
  readonly gateway?: string;
  readonly ipRange?: string;
  readonly internal?: boolean;
  readonly attachable?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly options?: Readonly<Record<string, string>>;
}

/** A container joining a network as it starts (or is connected while running). */
export interface JoinRequest {
  readonly containerId: string;
  /** Without the slash. */
  readonly name: string;
  readonly aliases: readonly string[];
  /** `--ip`. */
  readonly ip?: string;
}

/** What containers do with networks, for `connect`/`disconnect` (the container side implements it). */
export interface ContainerNetworkHooks {
  connect(network: NetworkRecord, container: string, opts: { aliases?: readonly string[]; ip?: string }): Promise<void>;
  disconnect(network: NetworkRecord, container: string): Promise<void>;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The default bridge's options as `docker network inspect bridge` shows them. */
const DEFAULT_BRIDGE_OPTIONS = {
  'com.docker.network.bridge.default_bridge': 'true',
  'com.docker.network.bridge.enable_icc': 'true',
  'com.docker.network.bridge.enable_ip_masquerade': 'true',
  'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
  'com.docker.network.bridge.name': 'docker0',
  'com.docker.network.driver.mtu': '1500',
};

/**
 * `engine.networks`: Docker's networks, stored in IndexedDB, with the default IPAM and the
 * endpoints of the containers running on them. The fabric (when there is one) is told of every
 * network and of the names its DNS answers.
 */
export class NetworkService {
  private readonly byId = new Map<string, NetworkRecord>();
  /**
   * Per network and owner, addresses held by something other than a container (a service's
   * virtual IP), and the names such an owner adds to the DNS. In memory: owners claim them again
   * on load.
   */
  private readonly reserved = new Map<string, Map<string, string>>();
  private readonly extraRecords = new Map<string, Map<string, readonly DnsRecord[]>>();

  constructor(
    private readonly db: Db,
    private readonly events: EventBus,
    private readonly containers: () => ContainerNetworkHooks,
    readonly fabric: NetworkFabric | undefined,
  ) {}

  /** Loads the networks, making the predefined ones on a new database. No endpoint survives a reload. */
  async load(): Promise<void> {
    // Endpoints of the last session are gone: a record that kept some is written again without.
    const stale = new Set<string>();
    for (const n of await this.db.getAll('networks')) {
      if (Object.keys(n.Containers).length) stale.add(n.Id);
      this.byId.set(n.Id, { ...n, Containers: {} });
    }
    const predefined: [string, NetworkDriver, IpamPool[]][] = [
      ['bridge', 'bridge', [DEFAULT_BRIDGE_POOL]],
      ['host', 'host', []],
      ['none', 'null', []],
    ];
    for (const [name, driver, pools] of predefined) {
      if (this.named(name)) continue;
      const options = name === 'bridge' ? DEFAULT_BRIDGE_OPTIONS : {};
      const rec = newRecord({ name, driver, pools, attachable: false, internal: false, labels: {}, options });
      this.byId.set(rec.Id, rec);
      stale.add(rec.Id);
    }
    for (const n of this.byId.values()) {
      // Only what changed is written, and a full quota must not keep the engine from opening: the
      // record in memory is the truth until the next save writes it.
      if (stale.has(n.Id)) await this.db.put('networks', n).catch(ignoreQuota(`network ${n.Name}`));
      const pool = n.IPAM.Config[0];
      if (n.Driver === 'bridge' && pool) await this.fabric?.createNetwork(n.Id, { subnet: pool.Subnet, gateway: pool.Gateway, internal: n.Internal });
    }
  }

  /** `docker network create`. */
  async create(o: NetworkCreateOptions): Promise<{ Id: string; Warning: string }> {
    if (!NAME_RE.test(o.name)) throw new InvalidParameterError(`invalid network name "${o.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (this.named(o.name)) throw new ConflictError(`network with name ${o.name} already exists`);
    const driver = o.driver ?? 'bridge';
    if (driver === 'host' || driver === 'null') throw new NetworkForbiddenError(`only one instance of "${driver}" network is allowed`);
    if (driver !== 'bridge') throw new NotFoundError(`could not find plugin ${driver} in v1 plugin registry: plugin not found`);
    const taken = this.all().flatMap((n) => n.IPAM.Config);
    const pool = planPool({ subnet: o.subnet, gateway: o.gateway, ipRange: o.ipRange }, taken);
    const rec = newRecord({
      name: o.name,
      driver,
      pools: [pool],
      attachable: o.attachable ?? false,
      internal: o.internal ?? false,
      labels: o.labels ?? {},
      options: o.options ?? {},
    });
    await this.save(rec);
    await this.fabric?.createNetwork(rec.Id, { subnet: pool.Subnet, gateway: pool.Gateway, internal: rec.Internal });
    this.events.emit('network', 'create', rec.Id, { name: rec.Name, type: rec.Driver });
    return { Id: rec.Id, Warning: '' };
  }

  /** By full ID, then by name, then by a unique ID prefix (Docker's order). */
  inspect(idOrName: string): NetworkRecord {
    const byId = this.byId.get(idOrName) ?? this.named(idOrName);
    if (byId) return byId;
    const hits = idOrName ? this.all().filter((n) => n.Id.startsWith(idOrName)) : [];
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new InvalidParameterError(`network ${idOrName} is ambiguous (${hits.length} matches found based on ID prefix)`);
    throw new NotFoundError(`network ${idOrName} not found`);
  }

  /** `docker network ls`: by name, filtered as Docker filters. */
  list(filters: Readonly<Record<string, readonly string[]>> = {}): NetworkRecord[] {
    return filterNetworks(this.all(), filters).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  }

  async remove(idOrName: string): Promise<void> {
    const n = this.inspect(idOrName);
    if (isPredefined(n)) throw new NetworkForbiddenError(`${n.Name} is a pre-defined network and cannot be removed`);
    if (Object.keys(n.Containers).length) {
      throw new NetworkForbiddenError(`error while removing network: network ${n.Name} id ${n.Id} has active endpoints`);
    }
    this.byId.delete(n.Id);
    await this.db.delete('networks', n.Id);
    await this.fabric?.removeNetwork(n.Id);
    this.events.emit('network', 'destroy', n.Id, { name: n.Name, type: n.Driver });
  }

  /** `docker network prune`: every custom network no container runs on. */
  async prune(): Promise<{ NetworksDeleted: string[] }> {
    const deleted: string[] = [];
    for (const n of this.list({ dangling: ['true'] })) {
      await this.remove(n.Id);
      deleted.push(n.Name);
    }
    return { NetworksDeleted: deleted };
  }

  /** `docker network connect`: a running container joins at once, a stopped one at its next start. */
  connect(network: string, container: string, opts: { aliases?: readonly string[]; ip?: string } = {}): Promise<void> {
    return this.containers().connect(this.inspect(network), container, opts);
  }

  disconnect(network: string, container: string): Promise<void> {
    return this.containers().disconnect(this.inspect(network), container);
  }

  /** An address on the network for a starting container: its endpoint, announced to the DNS. */
  async join(networkId: string, req: JoinRequest): Promise<NetworkEndpoint> {
    const n = this.inspect(networkId);
    const pool = n.IPAM.Config[0];
    if (!pool) throw new InvalidParameterError(`network ${n.Name} has no address pool`);
    if (n.Containers[req.containerId]) throw new ConflictError(`endpoint with name ${req.name} already exists in network ${n.Name}`);
    const address = allocateAddress(pool, this.inUse(n), req.ip);
    const endpoint: NetworkEndpoint = {
      Name: req.name,
      EndpointID: randomHex(64),
      MacAddress: macOf(parseIp(address)!),
      IPv4Address: `${address}/${prefixLength(pool)}`,
      IPv6Address: '',
      Aliases: [...req.aliases],
    };
    await this.save({ ...n, Containers: { ...n.Containers, [req.containerId]: endpoint } });
    await this.fabric?.setRecords(n.Id, this.records(n.Id));
    this.events.emit('network', 'connect', n.Id, { container: req.containerId, name: n.Name, type: n.Driver });
    return endpoint;
  }

  /**
   * The container leaves the network: its address is free again at once, when this is called (the
   * store and the fabric follow). Nothing when it was not on it.
   */
  leave(networkId: string, containerId: string): Promise<void> {
    const n = this.byId.get(networkId);
    const endpoint = n?.Containers[containerId];
    if (!n || !endpoint) return Promise.resolve();
    const { [containerId]: _gone, ...rest } = n.Containers;
    const saved = this.save({ ...n, Containers: rest });
    this.events.emit('network', 'disconnect', n.Id, { container: containerId, name: n.Name, type: n.Driver });
    return (async () => {
      await saved;
      await this.fabric?.detach(n.Id, endpoint.MacAddress);
      await this.fabric?.setRecords(n.Id, this.records(n.Id));
    })();
  }

  /**
   * Holds an address of the network for `owner` (a service's virtual IP): `want` when it is still
   * free (the address it had before a reload), else the lowest free one. Answers `10.0.1.5/24`.
   */
  reserve(networkId: string, owner: string, want?: string): string {
    const n = this.inspect(networkId);
    const pool = n.IPAM.Config[0];
    if (!pool) throw new InvalidParameterError(`network ${n.Name} has no address pool`);
    const mine = this.reserved.get(n.Id) ?? new Map<string, string>();
    const held = mine.get(owner);
    if (held) return `${held}/${prefixLength(pool)}`;
    const inUse = this.inUse(n);
    const address = want !== undefined && !inUse.has(want) ? allocateAddress(pool, inUse, want) : allocateAddress(pool, inUse);
    mine.set(owner, address);
    this.reserved.set(n.Id, mine);
    return `${address}/${prefixLength(pool)}`;
  }

  /** Sets the names `owner` (a service) adds to the network's DNS; on the default bridge there are none. */
  async setOwnRecords(networkId: string, owner: string, records: readonly DnsRecord[]): Promise<void> {
    if (!this.byId.has(networkId)) return;
    const mine = this.extraRecords.get(networkId) ?? new Map<string, readonly DnsRecord[]>();
    mine.set(owner, [...records]);
    this.extraRecords.set(networkId, mine);
    await this.fabric?.setRecords(networkId, this.records(networkId));
  }

  /** Frees `owner`'s address and its names on the network. */
  async unreserve(networkId: string, owner: string): Promise<void> {
    const freed = this.reserved.get(networkId)?.delete(owner);
    const unnamed = this.extraRecords.get(networkId)?.delete(owner);
    if ((freed || unnamed) && this.byId.has(networkId)) await this.fabric?.setRecords(networkId, this.records(networkId));
  }

  private inUse(n: NetworkRecord): Set<string> {
    const held = this.reserved.get(n.Id)?.values() ?? [];
    return new Set([...Object.values(n.Containers).map((e) => e.IPv4Address.split('/')[0]!), ...held]);
  }

  /** `docker rename`: the container answers to its new name on every network it runs on. */
  async renameEndpoint(containerId: string, name: string): Promise<void> {
    for (const n of this.all()) {
      const e = n.Containers[containerId];
      if (!e) continue;
      await this.save({ ...n, Containers: { ...n.Containers, [containerId]: { ...e, Name: name } } });
      await this.fabric?.setRecords(n.Id, this.records(n.Id));
    }
  }

  /**
   * The names the network's embedded DNS answers: on user networks each running container's
   * name, short ID and aliases, and the names of reservations (services); on the default bridge
   * none, as Docker.
   */
  records(networkId: string): DnsRecord[] {
    const n = this.inspect(networkId);
    if (isPredefined(n)) return [];
    const containers = Object.entries(n.Containers).flatMap(([id, e]) => {
      const address = e.IPv4Address.split('/')[0]!;
      return [e.Name, id.slice(0, 12), ...e.Aliases].map((name) => ({ name, address }));
    });
    return [...containers, ...[...(this.extraRecords.get(n.Id)?.values() ?? [])].flat()];
  }

  private all(): NetworkRecord[] {
    return [...this.byId.values()];
  }

  private named(name: string): NetworkRecord | undefined {
    return this.all().find((n) => n.Name === name);
  }

  private async save(n: NetworkRecord): Promise<void> {
    this.byId.set(n.Id, n);
    await this.db.put('networks', n);
  }
}

function newRecord(o: {
  name: string;
  driver: NetworkDriver;
  pools: IpamPool[];
  attachable: boolean;
  internal: boolean;
  labels: Readonly<Record<string, string>>;
  options: Readonly<Record<string, string>>;
}): NetworkRecord {
  return {
    Name: o.name,
    Id: randomHex(64),
    Created: new Date().toISOString(),
    Scope: 'local',
    Driver: o.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: o.pools },
    Internal: o.internal,
    Attachable: o.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: { ...o.options },
    Labels: { ...o.labels },
  };
}

const ignoreQuota = (what: string) => (e: unknown) => {
  if (!isOutOfSpace(e)) throw e;
  console.warn(`${what}: not saved, the storage quota is full`);
};
