import { NotFoundError } from '../../core/errors.ts';
import type { PortBinding } from '../../core/store/container-types.ts';
import { PortAllocatedError } from './network-errors.ts';
import { comparePorts, splitPort } from './port-specs.ts';

/** One host port bound to a running container's port. */
export interface PublishedPort {
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerId: string;
  readonly containerPort: number;
  readonly protocol: string;
  /**
   * A service's port (the routing mesh): `containerId` is then the service's ID, and connections
   * go to its virtual IP on a network, which balances them over the replicas.
   */
  readonly service?: { readonly name: string; readonly networkId: string; readonly address: string };
}

/** What a starting container asks to publish. */
export interface PublishRequest {
  readonly containerId: string;
  /** Names the endpoint in the conflict message, as Docker's. */
  readonly endpointName: string;
  readonly endpointId: string;
  /** `-p`: container port to host ports (HostPort `""` = any free one). */
  readonly bindings: Readonly<Record<string, readonly PortBinding[]>>;
  /** Every exposed port: listed with null in `Ports` when not published. */
  readonly exposed: readonly string[];
  /** `-P`: every exposed port without a binding gets a free host port. */
  readonly publishAll: boolean;
}

/** Docker's ephemeral range for `-p 80` and `-P`. */
const EPHEMERAL = [32768, 60999] as const;
const ANY = '0.0.0.0';

/**
 * `engine.ports`: the host ports of the engine (the page's side) and which container port each
 * one reaches. Bound as a container starts, freed as it stops.
 */
export class PortService {
  private readonly bound: PublishedPort[] = [];

  /** Every published port, by host port. */
  list(): PublishedPort[] {
    return [...this.bound].sort((a, b) => a.hostPort - b.hostPort || (a.protocol < b.protocol ? -1 : 1));
  }

  /** The container port a host port reaches. */
  resolve(hostPort: number, protocol = 'tcp'): Pick<PublishedPort, 'containerId' | 'containerPort' | 'protocol' | 'service'> {
    const p = this.bound.find((b) => b.hostPort === hostPort && b.protocol === protocol);
    if (!p) throw new NotFoundError(`no container publishes port ${hostPort}/${protocol}`);
    return { containerId: p.containerId, containerPort: p.containerPort, protocol: p.protocol, ...(p.service ? { service: p.service } : {}) };
  }

  /** The published ports of one container. */
  of(containerId: string): PublishedPort[] {
    return this.list().filter((p) => p.containerId === containerId);
  }

  /**
   * Binds a starting container's ports, all or none; answers `NetworkSettings.Ports`. A host port
   * another container holds fails with Docker's message.
   */
  bind(req: PublishRequest): Record<string, PortBinding[] | null> {
    const ports: Record<string, PortBinding[] | null> = {};
    const keys = [...new Set([...req.exposed, ...Object.keys(req.bindings)])].sort(comparePorts);
    try {
      for (const key of keys) {
        const [containerPort, protocol] = splitPort(key);
        const asked = req.bindings[key] ?? (req.publishAll ? [{ HostIp: '', HostPort: '' }] : []);
        if (!asked.length) {
          ports[key] = null;
          continue;
        }
        ports[key] = asked.map((b) => {
          const hostIp = b.HostIp || ANY;
          const hostPort = b.HostPort === '' ? this.freePort(protocol, hostIp) : Number(b.HostPort);
          if (this.clash(protocol, hostIp, hostPort)) {
            throw new PortAllocatedError(
              `driver failed programming external connectivity on endpoint ${req.endpointName} (${req.endpointId}): Bind for ${hostIp}:${hostPort} failed: port is already allocated`,
            );
          }
          const p: PublishedPort = { hostIp, hostPort, containerId: req.containerId, containerPort, protocol };
          this.bound.push(p);
          return { HostIp: hostIp, HostPort: String(hostPort) };
        });
      }
    } catch (e) {
      this.release(req.containerId);
      throw e;
    }
    return ports;
  }

  /**
   * Binds a service's published ports on every address (Swarm's ingress mode), all or none. A
   * port another service or a container holds fails as Swarm refuses it.
   */
  bindService(serviceId: string, via: NonNullable<PublishedPort['service']>, ports: readonly { published: number; target: number }[]): void {
    try {
      for (const { published, target } of ports) {
        const holder = this.bound.find((b) => b.protocol === 'tcp' && b.hostPort === published);
        if (holder) {
          const by = holder.service ? `service '${holder.service.name}' (${holder.containerId})` : `container ${holder.containerId.slice(0, 12)}`;
          throw new PortAllocatedError(`rpc error: code = InvalidArgument desc = port '${published}' is already in use by ${by} as an ingress port`);
        }
        this.bound.push({ hostIp: ANY, hostPort: published, containerId: serviceId, containerPort: target, protocol: 'tcp', service: via });
      }
    } catch (e) {
      this.release(serviceId);
      throw e;
    }
  }

  /** Frees the container's (or service's) host ports. */
  release(containerId: string): void {
    for (let i = this.bound.length - 1; i >= 0; i--) if (this.bound[i]!.containerId === containerId) this.bound.splice(i, 1);
  }

  private clash(protocol: string, hostIp: string, hostPort: number): boolean {
    // 0.0.0.0 covers every address, so it clashes with any binding of the same port.
    return this.bound.some((b) => b.protocol === protocol && b.hostPort === hostPort && (b.hostIp === hostIp || b.hostIp === ANY || hostIp === ANY));
  }

  private freePort(protocol: string, hostIp: string): number {
    for (let p = EPHEMERAL[0]; p <= EPHEMERAL[1]; p++) if (!this.clash(protocol, hostIp, p)) return p;
    throw new PortAllocatedError('no free host port left in the ephemeral range 32768-60999');
  }
}
