import type { ContainerRecord } from '../../core/store/container-types.ts';
import type { NetworkRecord } from '../../core/store/network-types.ts';
import type { ServiceEndpoint, ServicePort, ServiceRecord, ServiceSpec } from '../../core/store/service-types.ts';
import { macOf, parseIp } from '../networks/ipv4.ts';
import type { NetworkService } from '../networks/network-service.ts';
import type { PortService } from '../networks/port-service.ts';
import type { Task } from './task-labels.ts';

/** The label `docker stack deploy` puts on its services. */
const STACK_NAMESPACE = 'com.docker.stack.namespace';

export interface ServiceEndpointsDeps {
  readonly networks: NetworkService;
  readonly ports: PortService;
  /** Every task of a service. */
  readonly tasks: (serviceId: string) => Task[];
}

/**
 * How a service is reached, as Swarm's endpoint: a virtual IP on its network that the DNS answers
 * for the service's name (and its short name in a stack), `tasks.NAME` for each replica, and its
 * published ports (the routing mesh, which leads to the VIP). The network Worker's balancer spreads
 * connections to the VIP over the replicas this keeps it told of: those running and, when they
 * have a healthcheck, healthy. With `--endpoint-mode dnsrr` there is no VIP: the name answers the
 * replicas' addresses themselves.
 */
export class ServiceEndpoints {
  constructor(private readonly deps: ServiceEndpointsDeps) {}

  /**
   * The service's network: its `--network`, else the default bridge, which here plays the part of
   * Swarm's ingress network for published ports (a bridge has no DNS names, as on Docker).
   */
  network(spec: ServiceSpec): NetworkRecord {
    return this.deps.networks.inspect(spec.TaskTemplate.Networks?.[0]?.Target ?? 'bridge');
  }

  /**
   * Allocates the endpoint of `spec` for service `svc`: a VIP on its network (the one it had before
   * a reload, when that is still free) and its published ports. Holds nothing when it throws (a
   * published port already taken, a network that does not exist).
   */
  claim(svc: Pick<ServiceRecord, 'ID' | 'Endpoint'>, spec: ServiceSpec): ServiceEndpoint {
    const net = this.network(spec);
    const mode = spec.EndpointSpec?.Mode ?? 'vip';
    const ports = spec.EndpointSpec?.Ports ?? [];
    const endpointSpec = { Mode: mode, ...(ports.length ? { Ports: ports } : {}) };
    if (mode === 'dnsrr') return { Spec: endpointSpec };
    const before = svc.Endpoint?.VirtualIPs?.find((v) => v.NetworkID === net.Id)?.Addr.split('/')[0];
    const addr = this.deps.networks.reserve(net.Id, svc.ID, before);
    try {
      this.bindPorts(svc.ID, { name: spec.Name, networkId: net.Id, address: addr.split('/')[0]! }, ports);
    } catch (e) {
      void this.deps.networks.unreserve(net.Id, svc.ID);
      throw e;
    }
    return { Spec: endpointSpec, ...(ports.length ? { Ports: ports } : {}), VirtualIPs: [{ NetworkID: net.Id, Addr: addr }] };
  }

  /**
   * Binds the published ports of `spec` in place of the service's (`service update
   * --publish-add/--publish-rm`), keeping its VIP: all or none, so when a port is taken the old
   * ones are bound again and the error thrown.
   */
  rebind(svc: ServiceRecord, spec: ServiceSpec): ServiceEndpoint {
    const ports = spec.EndpointSpec?.Ports ?? [];
    const vip = svc.Endpoint?.VirtualIPs?.[0];
    if (!vip) return { ...svc.Endpoint, Spec: { Mode: spec.EndpointSpec?.Mode ?? 'vip' } };
    const via = { name: spec.Name, networkId: vip.NetworkID, address: vip.Addr.split('/')[0]! };
    this.deps.ports.release(svc.ID);
    try {
      this.bindPorts(svc.ID, via, ports);
    } catch (e) {
      this.bindPorts(svc.ID, via, svc.Spec.EndpointSpec?.Ports ?? []);
      throw e;
    }
    const { Ports: _, ...rest } = svc.Endpoint!;
    return { ...rest, Spec: { Mode: spec.EndpointSpec?.Mode ?? 'vip', ...(ports.length ? { Ports: ports } : {}) }, ...(ports.length ? { Ports: ports } : {}) };
  }

  private bindPorts(serviceId: string, via: { name: string; networkId: string; address: string }, ports: readonly ServicePort[]): void {
    this.deps.ports.bindService(
      serviceId,
      via,
      ports.map((p) => ({ published: p.PublishedPort, target: p.TargetPort })),
    );
  }

  /**
   * Tells the network's DNS and balancer which replicas serve now. Their order is the tasks' (by
   * creation), so the round robin goes over them in a stable order.
   */
  async refresh(svc: ServiceRecord): Promise<void> {
    let net: NetworkRecord;
    try {
      net = this.network(svc.Spec);
    } catch {
      return; // its network was removed: nothing to answer on
    }
    const backends = this.deps
      .tasks(svc.ID)
      .filter((t) => serving(t.container))
      .map((t) => addressOn(t.container, net.Id))
      .filter((a): a is string => a !== undefined);
    const vip = svc.Endpoint?.VirtualIPs?.find((v) => v.NetworkID === net.Id)?.Addr.split('/')[0];
    const names = [svc.Spec.Name, ...stackAlias(svc)];
    const records = [
      ...names.flatMap((name) => (vip ? [{ name, address: vip }] : backends.map((address) => ({ name, address })))),
      ...backends.map((address) => ({ name: `tasks.${svc.Spec.Name}`, address })),
    ];
    const fabric = this.deps.networks.fabric;
    // Both are sent before either is awaited, so two refreshes reach the fabric in their order.
    const balanced = vip && fabric?.setVirtualIp ? fabric.setVirtualIp(net.Id, { address: vip, mac: macOf(parseIp(vip)!), backends }) : undefined;
    await Promise.all([balanced, this.deps.networks.setOwnRecords(net.Id, svc.ID, records)]);
  }

  /** Gives up the service's VIP, names and published ports (it is removed). */
  async release(svc: ServiceRecord): Promise<void> {
    this.deps.ports.release(svc.ID);
    const fabric = this.deps.networks.fabric;
    for (const v of svc.Endpoint?.VirtualIPs ?? []) await fabric?.removeVirtualIp?.(v.NetworkID, v.Addr.split('/')[0]!).catch(() => undefined);
    let net: NetworkRecord;
    try {
      net = this.network(svc.Spec);
    } catch {
      return;
    }
    await this.deps.networks.unreserve(net.Id, svc.ID);
  }
}

/** A replica that takes connections: running, not paused, and healthy if it has a healthcheck (Swarm's rule). */
function serving(c: ContainerRecord): boolean {
  return c.State.Running && !c.State.Paused && !c.State.Restarting && (c.State.Health === undefined || c.State.Health.Status === 'healthy');
}

function addressOn(c: ContainerRecord, networkId: string): string | undefined {
  return Object.values(c.NetworkSettings.Networks).find((e) => e.NetworkID === networkId && e.IPAddress)?.IPAddress;
}

/** In a stack, `NAME_svc` also answers to `svc`, the name its compose file gives it, as Swarm's alias does. */
function stackAlias(svc: ServiceRecord): string[] {
  const ns = svc.Spec.Labels[STACK_NAMESPACE];
  return ns && svc.Spec.Name.startsWith(`${ns}_`) ? [svc.Spec.Name.slice(ns.length + 1)] : [];
}
