import * as Comlink from 'comlink';
import { ConnectionRefusedError, EngineError, InvalidParameterError, NotFoundError } from '../../core/errors.ts';
import type { NodeAgentApi, ProcessEvent, ProcessSpec } from '../../core/protocol.ts';
import type { EventBus } from '../events.ts';
import { remotePort } from '../remote-port.ts';
import { DirectRuns } from './direct-runs.ts';

export type NodeState = 'ready' | 'down';
/** Swarm's availability: `pause` takes no new tasks, `drain` also has its service tasks moved off. */
export type NodeAvailability = 'active' | 'pause' | 'drain';

/** A node as `docker node ls` shows it. */
export interface NodeInfo {
  readonly ID: string;
  readonly Name: string;
  readonly State: NodeState;
  readonly Availability: NodeAvailability;
  readonly Labels: Readonly<Record<string, string>>;
  /** Processes running on it now. */
  readonly Running: number;
  /** Most processes it takes at once. */
  readonly Capacity: number;
  /** Memory the scheduler may reserve for tasks on it (Swarm's `Description.Resources.MemoryBytes`). */
  readonly MemoryBytes: number;
  readonly CreatedAt: string;
}

interface Node {
  readonly id: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly capacity: number;
  readonly memory: number;
  readonly createdAt: string;
  /** Ends the node's Worker (one in another tab is asked to end itself). */
  readonly stop: () => void;
  api: Comlink.Remote<NodeAgentApi>;
  /** WASI runs straight to the node's reserved process Worker. */
  readonly direct: DirectRuns;
  state: NodeState;
  availability: NodeAvailability;
  /** processId → the listener of its events, so a node death can end them. */
  processes: Map<string, (e: ProcessEvent) => void>;
  /** Spawns waiting for the node's answer, failed when it goes down: a call to a node that is gone (a closed tab) never answers. */
  readonly starting: Set<(e: Error) => void>;
  heartbeat?: ReturnType<typeof setInterval>;
}

/**
 * A node's memory for reservations when not given: a Worker has no fixed share of the tab's
 * memory, so this is a budget, not a measure (a wasm32 instance addresses 4 GiB at most).
 */
const DEFAULT_NODE_MEMORY = 2 * 1024 ** 3;

export type NodeFactory = (name: string) => Worker;

export interface NodeOptions {
  readonly name?: string;
  readonly labels?: Record<string, string>;
  readonly capacity?: number;
  readonly memory?: number;
}

/** The default node Worker: node/node-agent.ts, bundled by Vite. */
export const defaultNodeFactory: NodeFactory = (name) => new Worker(new URL('../../node/node-agent.ts', import.meta.url), { type: 'module', name });

class NoNodeError extends EngineError {
  override readonly status = 503;
}

/** How often the engine pings each node (a tab node that hears no ping for a while offers itself again). */
export const HEARTBEAT_MS = 1000;
const HEARTBEAT_TIMEOUT_MS = 3000;

/**
 * Nodes are Web Workers. The manager starts them, places processes on the least loaded ready
 * node that satisfies a constraint, and notices a node that dies (a crashed or terminated Worker,
 * or one that stops answering): its processes end with exit 137 and the caller's restart policy
 * takes over.
 */
export class NodeManager {
  private readonly nodes = new Map<string, Node>();
  private seq = 0;

  constructor(
    private readonly events: EventBus,
    private readonly factory: NodeFactory = defaultNodeFactory,
    /** Where every node finds the x86 guest kit (an absolute URL), when not its default. */
    private readonly x86KitUrl?: string,
  ) {}

  add(opts: NodeOptions = {}): NodeInfo {
    const name = opts.name ?? `node-${++this.seq}`;
    this.refuseTaken(name);
    const worker = this.factory(name);
    const node = this.join(name, opts, Comlink.wrap<NodeAgentApi>(worker), () => worker.terminate());
    worker.addEventListener('error', (e) => this.markDown(node, `node ${name} crashed: ${e.message || 'worker error'}`));
    return this.info(node);
  }

  /**
   * A node in another tab of this origin (tab-nodes.ts): its agent served on `port`. It fails when
   * its tab closes, which lets go of `lock` (a Web Lock the tab holds while it is open), or when it
   * stops answering.
   */
  addTab(port: MessagePort, lock: string, opts: NodeOptions & { name: string }): NodeInfo {
    this.refuseTaken(opts.name);
    const api = Comlink.wrap<NodeAgentApi>(port);
    const closed = new AbortController();
    const node = this.join(opts.name, opts, api, () => {
      closed.abort();
      void api.retire().catch(() => undefined);
      // A Comlink call to a tab that is gone never settles: give its answer a moment, then let go.
      setTimeout(() => port.close(), HEARTBEAT_MS);
    });
    navigator.locks
      .request(lock, { signal: closed.signal }, async () => this.markDown(node, `node ${node.name} is down: its tab was closed`))
      .catch(() => undefined);
    return this.info(node);
  }

  private refuseTaken(name: string): void {
    if (this.nodes.has(name)) throw new InvalidParameterError(`node ${name} already exists`);
  }

  private join(name: string, opts: NodeOptions, api: Comlink.Remote<NodeAgentApi>, stop: () => void): Node {
    const node: Node = {
      starting: new Set(),
      id: crypto.randomUUID().replace(/-/g, '').slice(0, 25),
      name,
      labels: { ...(opts.labels ?? {}) },
      capacity: opts.capacity ?? 64,
      memory: opts.memory ?? DEFAULT_NODE_MEMORY,
      createdAt: new Date().toISOString(),
      stop,
      api,
      direct: new DirectRuns(api),
      state: 'ready',
      availability: 'active',
      processes: new Map(),
    };
    // Comlink keeps calls in order, so the node knows this before its first process.
    if (this.x86KitUrl) void node.api.configure({ x86KitUrl: this.x86KitUrl }).catch(() => undefined);
    node.heartbeat = setInterval(() => void this.check(node), HEARTBEAT_MS);
    this.nodes.set(name, node);
    this.events.emit('node', 'create', node.id, { name });
    return node;
  }

  private async check(node: Node): Promise<void> {
    if (node.state === 'down') return;
    const ok = await Promise.race([
      node.api.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((r) => setTimeout(() => r(false), HEARTBEAT_TIMEOUT_MS)),
    ]);
    if (!ok) this.markDown(node, `node ${node.name} stopped answering`);
  }

  private markDown(node: Node, reason: string): void {
    if (node.state === 'down') return;
    node.state = 'down';
    for (const fail of node.starting) fail(new NoNodeError(`node ${node.name} went down while starting the process`));
    clearInterval(node.heartbeat);
    node.direct.close();
    node.stop();
    this.events.emit('node', 'update', node.id, { name: node.name, state: 'down' });
    // Each relay removes its own process and forwards the exit.
    for (const relay of [...node.processes.values()]) relay({ type: 'exit', code: 137, error: reason });
  }

  /** Ends a node as a crash would (for `docker node rm --force` and failover tests). */
  crash(name: string): void {
    this.markDown(this.get(name), `node ${name} is down`);
  }

  /** Removes a node; with `force`, even with processes on it (they end with 137). */
  remove(name: string, opts: { force?: boolean } = {}): void {
    const node = this.get(name);
    if (node.processes.size && !opts.force) {
      throw new InvalidParameterError(`node ${name} has running containers; use --force to remove it`);
    }
    this.markDown(node, `node ${name} was removed`);
    this.nodes.delete(name);
    this.events.emit('node', 'remove', node.id, { name });
  }

  /** `docker node update`: availability, and labels added (`k=v`) or removed (`k`). */
  update(name: string, o: { availability?: NodeAvailability; labelAdd?: Readonly<Record<string, string>>; labelRm?: readonly string[] }): NodeInfo {
    const node = this.get(name);
    for (const k of o.labelRm ?? []) {
      if (!(k in node.labels)) throw new InvalidParameterError(`key ${k} doesn't exist in node's labels`);
      delete node.labels[k];
    }
    Object.assign(node.labels, o.labelAdd ?? {});
    if (o.availability) node.availability = o.availability;
    this.events.emit('node', 'update', node.id, { name: node.name, availability: node.availability });
    return this.info(node);
  }

  list(): NodeInfo[] {
    return [...this.nodes.values()].map((n) => this.info(n));
  }

  inspect(name: string): NodeInfo {
    return this.info(this.get(name));
  }

  private get(name: string): Node {
    const n = this.nodes.get(name) ?? [...this.nodes.values()].find((x) => x.id.startsWith(name));
    if (!n) throw new NotFoundError(`node ${name} not found`);
    return n;
  }

  private info(n: Node): NodeInfo {
    return {
      ID: n.id,
      Name: n.name,
      State: n.state,
      Availability: n.availability,
      Labels: { ...n.labels },
      Running: n.processes.size,
      Capacity: n.capacity,
      MemoryBytes: n.memory,
      CreatedAt: n.createdAt,
    };
  }

  /** Picks a node: ready, active, below capacity, matching every constraint; the least loaded wins. */
  place(constraints: readonly string[] = []): string {
    const fits = this.candidates(constraints);
    if (!fits.length) {
      throw new NoNodeError(constraints.length ? `no suitable node (constraints ${constraints.join(', ')})` : 'no node is ready to run the container');
    }
    fits.sort((a, b) => a.Running - b.Running);
    return fits[0]!.Name;
  }

  /** The nodes a new task may go to: ready, `active`, below capacity, matching every constraint. */
  candidates(constraints: readonly string[] = []): NodeInfo[] {
    return [...this.nodes.values()]
      .filter((n) => n.state === 'ready' && n.availability === 'active' && n.processes.size < n.capacity && constraints.every((c) => matches(n, c)))
      .map((n) => this.info(n));
  }

  async spawn(nodeName: string, spec: ProcessSpec, onEvent: (e: ProcessEvent) => void): Promise<void> {
    const node = this.ready(nodeName);
    const relay = (e: ProcessEvent) => {
      if (e.type === 'exit') {
        if (!node.processes.delete(spec.processId)) return;
      }
      onEvent(e);
    };
    node.processes.set(spec.processId, relay);
    try {
      // The NICs' switch ports go with the spec (transferred: a MessagePort cannot be copied).
      let fail!: (e: Error) => void;
      const down = new Promise<never>((_, reject) => (fail = reject));
      node.starting.add(fail);
      const started = async () => {
        if (await node.direct.spawn(spec, relay)) return;
        await node.api.spawn(Comlink.transfer(spec, spec.network?.interfaces.map((i) => i.port) ?? []), Comlink.proxy(relay));
      };
      await Promise.race([started(), down]).finally(() => node.starting.delete(fail));
    } catch (e) {
      node.processes.delete(spec.processId);
      throw e;
    }
  }

  /** The node a process runs on, if it runs. */
  nodeOf(processId: string): string | undefined {
    for (const n of this.nodes.values()) if (n.processes.has(processId)) return n.name;
    return undefined;
  }

  private apiFor(processId: string): Comlink.Remote<NodeAgentApi> | undefined {
    const name = this.nodeOf(processId);
    return name ? this.nodes.get(name)!.api : undefined;
  }

  async kill(processId: string, signal: number): Promise<boolean> {
    const api = this.apiFor(processId);
    if (!api) return false;
    await api.kill(processId, signal);
    return true;
  }

  /** `docker pause`: holds every process of container `containerId` on its node (see NodeAgentApi.pause). */
  async pause(nodeName: string, containerId: string): Promise<void> {
    await this.ready(nodeName).api.pause(containerId);
  }

  async unpause(nodeName: string, containerId: string): Promise<void> {
    await this.ready(nodeName).api.unpause(containerId);
  }

  private ready(nodeName: string): Node {
    const node = this.get(nodeName);
    if (node.state !== 'ready') throw new NoNodeError(`node ${nodeName} is down`);
    return node;
  }

  /**
   * A connection to the listening socket of process `processId` on container port `port`: the
   * engine's end of a stream of StreamMessages (core/stream-port.ts reads it). Rejects
   * with ConnectionRefusedError when nothing listens there.
   */
  async connect(nodeName: string, processId: string, port: number): Promise<MessagePort> {
    const node = this.get(nodeName);
    if (node.state !== 'ready') throw new ConnectionRefusedError(`connect to port ${port}/tcp: connection refused (node ${nodeName} is down)`);
    return remotePort((far) => node.api.connect(processId, port, far));
  }

  async writeStdin(processId: string, data: Uint8Array | null): Promise<void> {
    await this.apiFor(processId)?.writeStdin(processId, data);
  }

  async resize(processId: string, columns: number, rows: number): Promise<void> {
    await this.apiFor(processId)?.resize(processId, columns, rows);
  }

  async top(containerId: string) {
    const out = [];
    for (const n of this.nodes.values()) {
      if (n.state !== 'ready') continue;
      for (const p of await n.api.list()) if (p.containerId === containerId) out.push({ ...p, node: n.name });
    }
    return out;
  }

  /** Removed writable layers or volumes: every ready node's Workers drop what they kept of them. */
  async forget(scopes: readonly string[]): Promise<void> {
    await Promise.all([...this.nodes.values()].filter((n) => n.state === 'ready').map((n) => n.api.forget(scopes).catch(() => undefined)));
  }

  /** Stops every node (engine shutdown). */
  close(): void {
    for (const n of this.nodes.values()) {
      clearInterval(n.heartbeat);
      n.direct.close();
      n.stop();
    }
    this.nodes.clear();
  }
}

/** Swarm's constraint syntax: `node.name==x`, `node.name!=x`, `node.labels.k==v`. */
function matches(n: Node, c: string): boolean {
  const m = /^\s*node\.(name|id|labels\.([\w.-]+))\s*(==|!=)\s*(.+?)\s*$/.exec(c);
  if (!m) throw new InvalidParameterError(`invalid placement constraint: ${c}`);
  const value = m[1] === 'name' ? n.name : m[1] === 'id' ? n.id : n.labels[m[2]!];
  return m[3] === '==' ? value === m[4] : value !== m[4];
}
