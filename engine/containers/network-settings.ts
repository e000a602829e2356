// A container's networking as its record keeps it, in Docker's `docker inspect` shape.

import type { ContainerRecord, EndpointSettings, NetworkSettings } from '../../core/store/container-types.ts';

export function emptyNetworkSettings(networks: Readonly<Record<string, EndpointSettings>> = {}): NetworkSettings {
  return {
    Bridge: '',
    SandboxID: '',
    SandboxKey: '',
    Ports: {},
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    MacAddress: '',
    Networks: networks,
  };
}

/** An attachment before the container runs: what was asked for, no address yet. */
export function plannedEndpoint(networkId: string, aliases: readonly string[], ip: string | undefined): EndpointSettings {
  return {
    IPAMConfig: ip ? { IPv4Address: ip } : null,
    Links: null,
    Aliases: aliases.length ? [...aliases] : null,
    MacAddress: '',
    DriverOpts: null,
    NetworkID: networkId,
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

/** The attachments with their run-time addresses cleared, as Docker shows a stopped container's. */
export function stoppedSettings(s: NetworkSettings): NetworkSettings {
  const networks = Object.fromEntries(
    Object.entries(s.Networks).map(([name, e]) => [name, plannedEndpoint(e.NetworkID, e.Aliases ?? [], e.IPAMConfig?.IPv4Address)]),
  );
  return emptyNetworkSettings(networks);
}

/** A record stored before containers had networks: on the default bridge, with nothing published. */
export function withNetworkFields(r: ContainerRecord, bridgeId: string): ContainerRecord {
  if (r.NetworkSettings) return r;
  return {
    ...r,
    Config: { ...r.Config, ExposedPorts: {} },
    HostConfig: { ...r.HostConfig, NetworkMode: 'bridge', PortBindings: {}, PublishAllPorts: false },
    NetworkSettings: emptyNetworkSettings({ bridge: plannedEndpoint(bridgeId, [], undefined) }),
  };
}
