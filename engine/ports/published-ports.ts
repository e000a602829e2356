// `engine.ports`: the published ports as the page reaches them. Which container port a host port
// leads to is the PortService's (bound as containers start); this opens connections to it, speaks
// HTTP and WebSocket over them, and names the URL a tab opens.
import { ConnectionRefusedError } from '../../core/errors.ts';
import type { ContainerRecord } from '../../core/store/container-types.ts';
import type { Duplex } from '../../core/stream-port.ts';
import { streamPort } from '../../core/stream-port.ts';
import { runnablePlatform } from '../containers/container-platform.ts';
import type { NetworkFabric } from '../networks/network-fabric.ts';
import type { PortService, PublishedPort } from '../networks/port-service.ts';
import type { NodeManager } from '../nodes/node-manager.ts';
import { fetchOverStream } from './http-over-stream.ts';
import { openWebSocketOverStream, type StreamWebSocket } from './websocket-over-stream.ts';

export interface PublishedPortsDeps {
  readonly ports: PortService;
  readonly nodes: NodeManager;
  readonly container: (id: string) => ContainerRecord;
  /** What carries x86 containers' packets: a port of theirs is reached over their network. */
  readonly fabric: NetworkFabric | undefined;
}

export class PublishedPorts {
  #origin: string | undefined;

  constructor(private readonly deps: PublishedPortsDeps) {}

  /** Every published port, by host port. */
  list(): PublishedPort[] {
    return this.deps.ports.list();
  }

  /** The container port a host port reaches (NotFoundError when none). */
  resolve(hostPort: number, protocol = 'tcp'): Pick<PublishedPort, 'containerId' | 'containerPort' | 'protocol' | 'service'> {
    return this.deps.ports.resolve(hostPort, protocol);
  }

  /** The published ports of one container. */
  of(containerId: string): PublishedPort[] {
    return this.deps.ports.of(containerId);
  }

  /**
   * Where published ports open in a tab: the ports origin (another origin than the engine's, so a
   * container's pages cannot read the engine's storage), set by the page that serves it.
   */
  useOrigin(origin: string): void {
    this.#origin = new URL(origin).origin;
  }

  /** `http://127.0.0.1:5174/8080/`: the URL at which a tab opens host port `hostPort`. */
  url(hostPort: number, path = '/'): string {
    if (!this.#origin) throw new Error('no ports origin: the page serving the engine has not mounted one (see README, "Published ports")');
    this.resolve(hostPort);
    return `${this.#origin}/${hostPort}${path.startsWith('/') ? path : `/${path}`}`;
  }

  /** A TCP connection to whatever listens behind `hostPort`, as a pair of byte streams. */
  async connect(hostPort: number): Promise<Duplex> {
    const { containerId, containerPort, service } = this.resolve(hostPort);
    // The routing mesh: a service's port leads to its virtual IP, which picks a replica.
    if (service) {
      if (!this.deps.fabric?.connect)
        throw new ConnectionRefusedError(`connect to port ${hostPort}: this engine has no TCP/IP stack to reach service ${service.name}`);
      return streamPort(await this.deps.fabric.connect(service.networkId, service.address, containerPort));
    }
    const rec = this.deps.container(containerId);
    if (!rec.State.Running) throw new ConnectionRefusedError(`connect to port ${hostPort}: connection refused (container ${rec.Name.slice(1)} is not running)`);
    if (runnablePlatform(rec.Platform) === 'wasi') return streamPort(await this.deps.nodes.connect(rec.Node, containerId, containerPort));
    // An x86 guest listens in its own Linux: the engine's TCP/IP stack dials it on its network.
    const endpoint = Object.values(rec.NetworkSettings.Networks).find((e) => e.IPAddress);
    if (!endpoint || !this.deps.fabric?.connect) {
      throw new ConnectionRefusedError(`connect to port ${hostPort}: container ${rec.Name.slice(1)} has no network the engine can reach`);
    }
    return streamPort(await this.deps.fabric.connect(endpoint.NetworkID, endpoint.IPAddress, containerPort));
  }

  /** An HTTP request to a published port, from script (works where Service Workers do not). */
  async fetch(hostPort: number, request: Request | string, init?: RequestInit): Promise<Response> {
    const req = typeof request === 'string' ? new Request(new URL(request, `http://localhost:${hostPort}/`), init) : request;
    return fetchOverStream(await this.connect(hostPort), req);
  }

  /** A WebSocket to `path` on a published port (what a served page's WebSocket becomes). */
  async websocket(hostPort: number, path: string, protocols: readonly string[] = []): Promise<StreamWebSocket> {
    return openWebSocketOverStream(await this.connect(hostPort), { host: `localhost:${hostPort}`, path, protocols });
  }
}
