// A container's networking while it runs: its endpoints (addresses) on its networks, its published
// host ports, the NICs the fabric plugs in, and the /etc/hosts and resolv.conf Docker would write.

import { ConflictError, InvalidParameterError, NotFoundError } from '../../core/errors.ts';
import { GATEWAY_PROXY_PORT } from '../../core/net/fabric-api.ts';
import type { NetworkInterfaceSpec, NetworkSpec } from '../../core/protocol.ts';
import type { ContainerRecord, EndpointSettings } from '../../core/store/container-types.ts';
import type { NetworkEndpoint, NetworkRecord } from '../../core/store/network-types.ts';
import { hostsFile, resolvConf } from '../networks/etc-files.ts';
import type { NetworkService } from '../networks/network-service.ts';
import type { PortService } from '../networks/port-service.ts';
import { comparePorts, splitPort } from '../networks/port-specs.ts';
import { randomHex } from '../random-hex.ts';
import { runnablePlatform } from './container-platform.ts';
import type { ContainerRecords } from './container-records.ts';
import { plannedEndpoint, stoppedSettings } from './network-settings.ts';

export interface ContainerNetworkingDeps {
  readonly records: ContainerRecords;
  readonly networks: NetworkService;
  readonly ports: PortService;
  /** Whether the container's main process runs (a connect then joins at once). */
  readonly running: (id: string) => boolean;
  /** A connection to a port of the container's running WASI process (its node's stream). */
  readonly dial: (containerId: string, port: number) => Promise<MessagePort>;
}

interface Joined {
  readonly key: string;
  readonly network: NetworkRecord;
  readonly endpoint: NetworkEndpoint;
}

const address = (e: NetworkEndpoint) => e.IPv4Address.split('/')[0]!;

export class ContainerNetworking {
  /** The network files of each running container, for its execs and `--network container:` users. */
  private readonly files = new Map<string, { hosts: string; resolvConf: string }>();

  constructor(private readonly deps: ContainerNetworkingDeps) {}

  /**
   * Joins the container's networks and binds its ports as it starts (Docker allocates at start),
   * all or nothing. Without a fabric the spec has no interfaces, only the hosts and resolv.conf.
   */
  async up(rec: ContainerRecord): Promise<NetworkSpec> {
    const { networks, ports, records } = this.deps;
    const mode = rec.HostConfig.NetworkMode;
    if (mode.startsWith('container:')) {
      const other = records.resolve(mode.slice('container:'.length));
      const shared = this.files.get(other.Id);
      if (!shared) throw new ConflictError(`cannot join network of a non running container: ${other.Id}`);
      this.files.set(rec.Id, shared);
      // Its hosts and resolv.conf, but no NIC of its own: one switch port per MAC, and a second
      // port with the other container's MAC would take its frames.
      return { interfaces: [], ...shared, listenPorts: [] };
    }
    if (mode === 'none') {
      const none = { hosts: hostsFile(rec.Config.Hostname, []), resolvConf: resolvConf(undefined) };
      this.files.set(rec.Id, none);
      return { interfaces: [], ...none, listenPorts: [] };
    }
    const joined: Joined[] = [];
    let published: Record<string, { HostIp: string; HostPort: string }[] | null>;
    let interfaces: NetworkInterfaceSpec[];
    let listenPorts: number[];
    try {
      for (const [key, es] of Object.entries(rec.NetworkSettings.Networks)) joined.push(await this.join(rec, key, es));
      published = ports.bind({
        containerId: rec.Id,
        endpointName: rec.Name.slice(1),
        endpointId: joined[0]?.endpoint.EndpointID ?? '',
        bindings: rec.HostConfig.PortBindings,
        exposed: Object.keys(rec.Config.ExposedPorts),
        publishAll: rec.HostConfig.PublishAllPorts,
      });
      listenPorts = [...new Set([...Object.keys(rec.Config.ExposedPorts), ...Object.keys(rec.HostConfig.PortBindings)])]
        .sort(comparePorts)
        .map(splitPort)
        .filter(([, proto]) => proto === 'tcp')
        .map(([n]) => n);
      if (runnablePlatform(rec.Platform) === 'linux/386') interfaces = await this.plug(joined);
      else {
        interfaces = [];
        await this.serve(rec.Id, joined, listenPorts);
      }
    } catch (e) {
      // All or nothing: leaving a network also unplugs the NIC from its switch.
      ports.release(rec.Id);
      for (const j of joined) await networks.leave(j.network.Id, rec.Id);
      throw e;
    }
    const files = {
      hosts: hostsFile(
        rec.Config.Hostname,
        joined.map((j) => address(j.endpoint)),
      ),
      resolvConf: resolvConf(joined[0]?.network.IPAM.Config[0]?.Gateway),
    };
    this.files.set(rec.Id, files);
    await records.save({ ...rec, NetworkSettings: this.runningSettings(rec, joined, published) });
    const first = interfaces[0];
    return { interfaces, ...files, listenPorts, ...(first ? { proxy: `http://${first.gateway}:${GATEWAY_PROXY_PORT}` } : {}) };
  }

  /**
   * The container stopped (or never started): its addresses and host ports are free again, in
   * memory before this returns (the stores and the fabric follow).
   */
  async down(id: string): Promise<void> {
    const { records, networks, ports } = this.deps;
    this.files.delete(id);
    ports.release(id);
    const rec = records.get(id);
    if (!rec) return;
    const left = Object.values(rec.NetworkSettings.Networks).map((es) => networks.leave(es.NetworkID, id));
    const saved = records.save({ ...rec, NetworkSettings: stoppedSettings(rec.NetworkSettings) });
    await Promise.all([...left, saved]);
  }

  /** An exec's view: the container's hosts and resolv.conf; its NICs belong to the main process. */
  execSpec(id: string): NetworkSpec | undefined {
    const files = this.files.get(id);
    return files && { interfaces: [], ...files, listenPorts: [] };
  }

  /**
   * `docker network connect`. A running container gets its address now; its process sees the new
   * network (NIC, hosts line) from its next start, since a running process's spec is fixed.
   */
  async connect(network: NetworkRecord, container: string, opts: { aliases?: readonly string[]; ip?: string }): Promise<void> {
    const { records } = this.deps;
    const rec = records.resolve(container);
    const mode = rec.HostConfig.NetworkMode;
    if (network.Driver === 'host') throw new InvalidParameterError('container cannot be disconnected from host network or connected to host network');
    if (mode.startsWith('container:'))
      throw new InvalidParameterError('container sharing network namespace with another container or host cannot be connected to any other network');
    if (mode === 'none' || network.Driver === 'null') {
      throw new InvalidParameterError('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    }
    if (rec.NetworkSettings.Networks[network.Name])
      throw new ConflictError(`endpoint with name ${rec.Name.slice(1)} already exists in network ${network.Name}`);
    const custom = network.Name !== 'bridge';
    if (opts.aliases?.length && !custom) throw new InvalidParameterError('network-scoped alias is supported only for containers in user defined networks');
    if (opts.ip && !custom) throw new InvalidParameterError('user specified IP address is supported on user defined networks only');
    const planned = plannedEndpoint(network.Id, opts.aliases ?? [], opts.ip);
    let es = planned;
    if (this.deps.running(rec.Id)) {
      const j = await this.join(rec, network.Name, planned);
      es = this.runningEndpoint(rec, j);
    }
    await records.save({ ...rec, NetworkSettings: { ...rec.NetworkSettings, Networks: { ...rec.NetworkSettings.Networks, [network.Name]: es } } });
  }

  /** `docker network disconnect`: a running container's address is freed at once. */
  async disconnect(network: NetworkRecord, container: string): Promise<void> {
    const { records, networks } = this.deps;
    const rec = records.resolve(container);
    const entry = Object.entries(rec.NetworkSettings.Networks).find(([, es]) => es.NetworkID === network.Id);
    if (!entry) throw new InvalidParameterError(`container ${rec.Id} is not connected to network ${network.Name}`);
    await networks.leave(network.Id, rec.Id);
    const { [entry[0]]: _gone, ...rest } = rec.NetworkSettings.Networks;
    await records.save({ ...rec, NetworkSettings: { ...rec.NetworkSettings, Networks: rest } });
  }

  /**
   * A NIC on each network's switch, `eth0` first; none without a fabric. Only x86 guests have a
   * kernel to drive one: a WASI program's network is the listening sockets it is given.
   */
  private async plug(joined: readonly Joined[]): Promise<NetworkInterfaceSpec[]> {
    const fabric = this.deps.networks.fabric;
    const out: NetworkInterfaceSpec[] = [];
    if (!fabric) return out;
    for (const [i, { network, endpoint }] of joined.entries()) {
      const port = await fabric.attach(network.Id, { mac: endpoint.MacAddress, address: endpoint.IPv4Address });
      out.push({ name: `eth${i}`, mac: endpoint.MacAddress, address: endpoint.IPv4Address, gateway: network.IPAM.Config[0]!.Gateway, port });
    }
    return out;
  }

  /**
   * A WASI server has no NIC: the fabric answers for its address on each network, so the other
   * containers there reach its ports.
   */
  private async serve(id: string, joined: readonly Joined[], ports: readonly number[]): Promise<void> {
    const fabric = this.deps.networks.fabric;
    if (!fabric?.serve || ports.length === 0) return;
    for (const { network, endpoint } of joined) {
      await fabric.serve(network.Id, { mac: endpoint.MacAddress, address: endpoint.IPv4Address }, ports, (port) => this.deps.dial(id, port));
    }
  }

  private async join(rec: ContainerRecord, key: string, es: EndpointSettings): Promise<Joined> {
    let network: NetworkRecord;
    try {
      network = this.deps.networks.inspect(es.NetworkID);
    } catch (e) {
      if (e instanceof NotFoundError) throw new NotFoundError(`network ${key} not found`);
      throw e;
    }
    const endpoint = await this.deps.networks.join(network.Id, {
      containerId: rec.Id,
      name: rec.Name.slice(1),
      aliases: es.Aliases ?? [],
      ...(es.IPAMConfig ? { ip: es.IPAMConfig.IPv4Address } : {}),
    });
    return { key, network, endpoint };
  }

  private runningEndpoint(rec: ContainerRecord, j: Joined): EndpointSettings {
    const planned = rec.NetworkSettings.Networks[j.key] ?? plannedEndpoint(j.network.Id, j.endpoint.Aliases, undefined);
    const [ip, prefix] = j.endpoint.IPv4Address.split('/') as [string, string];
    const custom = j.network.Name !== 'bridge';
    return {
      ...planned,
      MacAddress: j.endpoint.MacAddress,
      EndpointID: j.endpoint.EndpointID,
      Gateway: j.network.IPAM.Config[0]!.Gateway,
      IPAddress: ip,
      IPPrefixLen: Number(prefix),
      DNSNames: custom ? [rec.Name.slice(1), rec.Id.slice(0, 12), ...j.endpoint.Aliases] : null,
    };
  }

  private runningSettings(
    rec: ContainerRecord,
    joined: readonly Joined[],
    ports: ContainerRecord['NetworkSettings']['Ports'],
  ): ContainerRecord['NetworkSettings'] {
    const networks = Object.fromEntries(joined.map((j) => [j.key, this.runningEndpoint(rec, j)]));
    const bridge = networks.bridge;
    const sandbox = randomHex(64);
    return {
      Bridge: '',
      SandboxID: sandbox,
      SandboxKey: `/var/run/docker/netns/${sandbox.slice(0, 12)}`,
      Ports: ports,
      // The legacy top-level fields describe the default bridge only, as Docker's.
      EndpointID: bridge?.EndpointID ?? '',
      Gateway: bridge?.Gateway ?? '',
      IPAddress: bridge?.IPAddress ?? '',
      IPPrefixLen: bridge?.IPPrefixLen ?? 0,
      MacAddress: bridge?.MacAddress ?? '',
      Networks: networks,
    };
  }
}
