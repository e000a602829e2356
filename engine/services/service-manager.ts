import { ConflictError, InvalidParameterError } from '../../core/errors.ts';
import type { HealthConfig } from '../../core/oci/manifest.ts';
import type { Db } from '../../core/store/db.ts';
import type { EndpointSpec, RestartCondition, ServicePort, ServiceRecord, ServiceSpec, UpdateConfig } from '../../core/store/service-types.ts';
import type { ContainerService } from '../containers/container-service.ts';
import { parseMemory } from '../containers/create-options.ts';
import { randomName } from '../containers/names.ts';
import type { EventBus } from '../events.ts';
import type { NetworkService } from '../networks/network-service.ts';
import type { PortService } from '../networks/port-service.ts';
import type { NodeManager } from '../nodes/node-manager.ts';
import { randomHex } from '../random-hex.ts';
import { Reconciler } from './reconciler.ts';
import { RollingUpdates } from './rolling-update.ts';
import { ServiceEndpoints } from './service-endpoints.ts';
import { ServiceStore } from './service-store.ts';
import { TASK_LABEL, type Task, templateKey } from './task-labels.ts';

/** What `docker service create` takes; durations in nanoseconds, as Swarm's API. */
export interface ServiceCreateOptions {
  readonly image: string;
  readonly name?: string;
  readonly args?: readonly string[];
  readonly env?: readonly string[];
  /** Service labels (`--label`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Labels of the tasks' containers (`--container-label`). */
  readonly containerLabels?: Readonly<Record<string, string>>;
  readonly mode?: 'replicated' | 'global';
  /** Default 1 (replicated mode only). */
  readonly replicas?: number;
  readonly constraints?: readonly string[];
  /** `spread=node.labels.zone`. */
  readonly placementPrefs?: readonly string[];
  readonly restartCondition?: RestartCondition;
  /** Default 5 s, as Swarm's. */
  readonly restartDelay?: number;
  readonly restartMaxAttempts?: number;
  readonly stopGracePeriod?: number;
  readonly networks?: readonly string[];
  /** `--publish published=8080,target=80`: host port 8080 reaches port 80 of every replica. */
  readonly publish?: readonly { readonly published: number; readonly target: number }[];
  /** `vip` (default): a virtual IP balances connections; `dnsrr`: the name answers the replicas' addresses. */
  readonly endpointMode?: EndpointSpec['Mode'];
  /** `--health-cmd` and the rest, as `docker run`'s; the image's HEALTHCHECK otherwise. */
  readonly healthcheck?: HealthConfig;
  /** Bytes, or `64m`. */
  readonly limitMemory?: number | string;
  readonly reserveMemory?: number | string;
  readonly updateParallelism?: number;
  readonly updateDelay?: number;
  readonly updateFailureAction?: UpdateConfig['FailureAction'];
  readonly updateMonitor?: number;
}

/** What `docker service update` changes; absent fields stay. */
export interface ServiceUpdateOptions {
  readonly image?: string;
  readonly args?: readonly string[];
  readonly replicas?: number;
  readonly envAdd?: readonly string[];
  /** Variable names. */
  readonly envRm?: readonly string[];
  readonly constraintAdd?: readonly string[];
  readonly constraintRm?: readonly string[];
  /** Added, or replacing the port published on the same host port. */
  readonly publishAdd?: readonly { readonly published: number; readonly target: number }[];
  /** Target ports whose publishing ends, as docker's --publish-rm names them. */
  readonly publishRm?: readonly number[];
  readonly restartCondition?: RestartCondition;
  readonly restartDelay?: number;
  readonly updateParallelism?: number;
  readonly updateDelay?: number;
  readonly updateFailureAction?: UpdateConfig['FailureAction'];
  readonly updateMonitor?: number;
}

/** Running and wanted tasks: `docker service ls`'s REPLICAS. */
export interface ServiceStatus {
  readonly running: number;
  readonly desired: number;
  /** Running tasks of the current template (a rolling update's progress). */
  readonly upToDate: number;
}

/** Swarm's rule for names (a DNS label, `_` allowed: stacks name services `stack_svc`). */
const SERVICE_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;
const FAILURE_ACTIONS = ['pause', 'continue', 'rollback'];
const CONDITIONS = ['any', 'on-failure', 'none'];

/**
 * `engine.services`: Swarm-style services. Their desired state is stored; a reconciler turns it
 * into tasks (containers with Swarm's labels) on the nodes, and keeps it so as tasks end, nodes
 * go down or change availability, and after a reload.
 */
export class ServiceManager {
  private readonly store: ServiceStore;
  private readonly reconciler: Reconciler;
  private readonly updates: RollingUpdates;
  private readonly endpoints: ServiceEndpoints;

  constructor(
    db: Db,
    private readonly containers: ContainerService,
    private readonly nodes: NodeManager,
    private readonly events: EventBus,
    net: { readonly networks: NetworkService; readonly ports: PortService },
  ) {
    this.store = new ServiceStore(db);
    this.reconciler = new Reconciler({ containers, nodes, store: this.store });
    this.updates = new RollingUpdates({ store: this.store, reconciler: this.reconciler, events, rebind: (svc, spec) => this.endpoints.rebind(svc, spec) });
    this.endpoints = new ServiceEndpoints({ ...net, tasks: (id) => this.reconciler.tasks(id) });
    events.subscribe((e) => {
      if (e.Type === 'node') void this.reconcileAll();
      else if (e.Type === 'container') {
        const svc = this.serviceOfContainer(e.Actor.ID);
        if (!svc) return;
        // A replica that starts, ends, or changes health joins or leaves the VIP's backends.
        if (SERVING_CHANGES.has(e.Action) || e.Action.startsWith('health_status')) this.refreshEndpoint(svc);
        if (e.Action === 'die' || e.Action === 'destroy') void this.reconciler.kick(svc);
        // Swarm fails an unhealthy task; its restart policy then replaces it.
        if (e.Action === 'health_status: unhealthy') void containers.fail(e.Actor.ID, UNHEALTHY_TASK).catch(() => undefined);
      }
    });
  }

  private refreshEndpoint(id: string): void {
    const svc = this.store.get(id);
    if (svc) void this.endpoints.refresh(svc).catch((e) => console.warn(`service ${svc.Spec.Name}: its endpoint could not be updated:`, e));
  }

  /** Task containers by ID → service ID, so a `destroy` (record gone) still finds its service. */
  private readonly taskServices = new Map<string, string>();

  private serviceOfContainer(id: string): string | undefined {
    try {
      const sid = this.containers.inspect(id).Config.Labels[TASK_LABEL.serviceId];
      if (sid) this.taskServices.set(id, sid);
      return sid;
    } catch {
      const sid = this.taskServices.get(id);
      this.taskServices.delete(id);
      return sid;
    }
  }

  /**
   * Loads the stored services and starts reconciling them (after the containers are recovered,
   * so tasks that ran before a reload are seen as ended); the engine does not wait for the tasks.
   */
  async start(): Promise<void> {
    await this.store.load();
    for (const svc of this.store.all()) {
      try {
        const Endpoint = this.endpoints.claim(svc, svc.Spec);
        const claimed = { ...svc, Endpoint };
        await this.store.save(claimed);
        this.refreshEndpoint(svc.ID);
      } catch (e) {
        console.warn(`service ${svc.Spec.Name}: its endpoint could not be allocated again:`, e);
      }
    }
    void this.reconcileAll();
  }

  private async reconcileAll(): Promise<void> {
    await this.reconciler.kickAll();
    for (const s of this.store.all()) this.updates.ensure(s);
  }

  async create(o: ServiceCreateOptions): Promise<{ ID: string }> {
    const name = o.name ?? randomName((n) => this.store.all().some((s) => s.Spec.Name === n));
    if (!SERVICE_NAME.test(name)) throw new InvalidParameterError(`rpc error: code = InvalidArgument desc = name must be valid as a DNS name component`);
    if (this.store.all().some((s) => s.Spec.Name === name)) {
      throw new ConflictError(`rpc error: code = AlreadyExists desc = name conflicts with an existing object: service ${name} already exists`);
    }
    if (o.mode === 'global' && o.replicas !== undefined) throw new InvalidParameterError('replicas can only be used with replicated mode');
    if ((o.networks?.length ?? 0) > 1) throw new InvalidParameterError('a service joins one network here (more than one --network is not supported yet)');
    const ports = servicePorts(o.publish ?? []);
    if (o.endpointMode === 'dnsrr' && ports.length) {
      throw new InvalidParameterError("rpc error: code = InvalidArgument desc = EndpointSpec: port published with ingress mode can't be used with dnsrr mode");
    }
    const now = new Date().toISOString();
    const spec: ServiceSpec = validSpec({
      Name: name,
      Labels: { ...o.labels },
      TaskTemplate: {
        ContainerSpec: {
          Image: o.image,
          ...(o.args?.length ? { Args: [...o.args] } : {}),
          ...(o.env?.length ? { Env: [...o.env] } : {}),
          ...(o.containerLabels ? { Labels: { ...o.containerLabels } } : {}),
          ...(o.stopGracePeriod !== undefined ? { StopGracePeriod: o.stopGracePeriod } : {}),
          ...(o.healthcheck ? { Healthcheck: o.healthcheck } : {}),
        },
        RestartPolicy: { Condition: o.restartCondition ?? 'any', Delay: o.restartDelay ?? 5e9, MaxAttempts: o.restartMaxAttempts ?? 0 },
        Placement: {
          ...(o.constraints?.length ? { Constraints: [...o.constraints] } : {}),
          ...(o.placementPrefs?.length ? { Preferences: o.placementPrefs.map(parsePlacementPref) } : {}),
        },
        Resources: {
          ...(o.limitMemory ? { Limits: { MemoryBytes: parseMemory(o.limitMemory) } } : {}),
          ...(o.reserveMemory ? { Reservations: { MemoryBytes: parseMemory(o.reserveMemory) } } : {}),
        },
        ...(o.networks?.length ? { Networks: o.networks.map((n) => ({ Target: n })) } : {}),
      },
      Mode: o.mode === 'global' ? { Global: {} } : { Replicated: { Replicas: o.replicas ?? 1 } },
      UpdateConfig: {
        Parallelism: o.updateParallelism ?? 1,
        Delay: o.updateDelay ?? 0,
        FailureAction: o.updateFailureAction ?? 'pause',
        Monitor: o.updateMonitor ?? 5e9,
      },
      EndpointSpec: { Mode: o.endpointMode ?? 'vip', ...(ports.length ? { Ports: ports } : {}) },
    });
    const ID = randomHex(25);
    // The VIP and the published ports first: a port already taken fails the create.
    const Endpoint = this.endpoints.claim({ ID }, spec);
    const svc: ServiceRecord = { ID, Version: { Index: 1 }, CreatedAt: now, UpdatedAt: now, Spec: spec, Endpoint };
    await this.store.save(svc);
    this.refreshEndpoint(ID);
    this.events.emit('service', 'create', svc.ID, { name });
    void this.reconciler.kick(svc.ID);
    return { ID: svc.ID };
  }

  list(): ServiceRecord[] {
    return this.store.all().sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name));
  }

  /** By ID, ID prefix or name; NoSuchServiceError otherwise. */
  inspect(idOrName: string): ServiceRecord {
    return this.store.resolve(idOrName);
  }

  /** Every task of the service, oldest first (history included). */
  tasks(idOrName: string): Task[] {
    return this.reconciler.tasks(this.store.resolve(idOrName).ID);
  }

  /** Every service task on node `nodeId`, oldest first. */
  tasksOnNode(nodeId: string): Task[] {
    return this.store.all().flatMap((s) => this.reconciler.tasks(s.ID).filter((t) => t.nodeId === nodeId));
  }

  /** Why the service's last task could not be created, if it could not. */
  lastError(idOrName: string): string | undefined {
    return this.reconciler.errors.get(this.store.resolve(idOrName).ID);
  }

  status(idOrName: string): ServiceStatus {
    const svc = this.store.resolve(idOrName);
    const key = templateKey(svc.Spec.TaskTemplate);
    const current = [...this.reconciler.current(svc.ID).values()];
    const desired =
      'Global' in svc.Spec.Mode ? this.nodes.candidates(svc.Spec.TaskTemplate.Placement.Constraints ?? []).length : svc.Spec.Mode.Replicated.Replicas;
    const running = current.filter((t) => t.container.State.Running);
    return { running: running.length, desired, upToDate: running.filter((t) => t.template === key).length };
  }

  /** Whether exactly the wanted tasks run, all of the current template (Swarm's "converged"). */
  converged(idOrName: string): boolean {
    const s = this.status(idOrName);
    return s.running === s.desired && s.upToDate === s.desired;
  }

  async scale(idOrName: string, replicas: number): Promise<void> {
    const svc = this.store.resolve(idOrName);
    if (!('Replicated' in svc.Spec.Mode)) throw new InvalidParameterError(`scale can only be used with replicated mode`);
    await this.update(svc.ID, { replicas });
  }

  async update(idOrName: string, o: ServiceUpdateOptions): Promise<ServiceRecord> {
    const svc = this.store.resolve(idOrName);
    const spec = svc.Spec;
    const t = spec.TaskTemplate;
    if (o.replicas !== undefined && !('Replicated' in spec.Mode)) throw new InvalidParameterError('replicas can only be used with replicated mode');
    const envRm = new Set(o.envRm ?? []);
    const envAdd = o.envAdd ?? [];
    const addedNames = new Set(envAdd.map((e) => e.split('=')[0]));
    const env = [...(t.ContainerSpec.Env ?? []).filter((e) => !envRm.has(e.split('=')[0]!) && !addedNames.has(e.split('=')[0])), ...envAdd];
    const rmConstraints = new Set(o.constraintRm ?? []);
    const constraints = [...(t.Placement.Constraints ?? []).filter((c) => !rmConstraints.has(c)), ...(o.constraintAdd ?? [])];
    const ports = updatedPorts(spec, o);
    if (ports?.length && spec.EndpointSpec?.Mode === 'dnsrr') {
      throw new InvalidParameterError("rpc error: code = InvalidArgument desc = EndpointSpec: port published with ingress mode can't be used with dnsrr mode");
    }
    const next: ServiceSpec = validSpec({
      ...spec,
      ...(ports ? { EndpointSpec: { Mode: spec.EndpointSpec?.Mode ?? 'vip', ...(ports.length ? { Ports: ports } : {}) } } : {}),
      TaskTemplate: {
        ...t,
        ContainerSpec: {
          ...t.ContainerSpec,
          ...(o.image !== undefined ? { Image: o.image } : {}),
          ...(o.args !== undefined ? { Args: [...o.args] } : {}),
          ...(env.length || t.ContainerSpec.Env ? { Env: env } : {}),
        },
        RestartPolicy: {
          ...t.RestartPolicy,
          ...(o.restartCondition !== undefined ? { Condition: o.restartCondition } : {}),
          ...(o.restartDelay !== undefined ? { Delay: o.restartDelay } : {}),
        },
        Placement: { ...t.Placement, ...(constraints.length || t.Placement.Constraints ? { Constraints: constraints } : {}) },
      },
      Mode: o.replicas !== undefined ? { Replicated: { Replicas: o.replicas } } : spec.Mode,
      UpdateConfig: {
        ...spec.UpdateConfig,
        ...(o.updateParallelism !== undefined ? { Parallelism: o.updateParallelism } : {}),
        ...(o.updateDelay !== undefined ? { Delay: o.updateDelay } : {}),
        ...(o.updateFailureAction !== undefined ? { FailureAction: o.updateFailureAction } : {}),
        ...(o.updateMonitor !== undefined ? { Monitor: o.updateMonitor } : {}),
      },
    });
    const now = new Date().toISOString();
    const rolls = templateKey(next.TaskTemplate) !== templateKey(t);
    // Ports are the endpoint's, not the tasks': they change at once, and no task is replaced.
    const endpoint = ports ? { Endpoint: this.endpoints.rebind(svc, next) } : {};
    const saved: ServiceRecord = {
      ...svc,
      ...endpoint,
      Version: { Index: svc.Version.Index + 1 },
      UpdatedAt: now,
      Spec: next,
      PreviousSpec: spec,
      ...(rolls ? { UpdateStatus: { State: 'updating', StartedAt: now, Message: 'update in progress' } } : {}),
    };
    await this.store.save(saved);
    this.events.emit('service', 'update', svc.ID, { name: spec.Name });
    void this.reconciler.kick(svc.ID);
    this.updates.ensure(saved);
    return saved;
  }

  /** `docker service rollback`: back to the previous spec, rolling as an update does. */
  async rollback(idOrName: string): Promise<ServiceRecord> {
    return this.updates.rollback(this.store.resolve(idOrName), 'manually requested rollback');
  }

  /** Removes the service and its tasks. */
  async remove(idOrName: string): Promise<void> {
    const svc = this.store.resolve(idOrName);
    await this.store.delete(svc.ID);
    this.reconciler.forget(svc.ID);
    await this.endpoints.release(svc);
    this.events.emit('service', 'remove', svc.ID, { name: svc.Spec.Name });
    await Promise.all(this.reconciler.tasks(svc.ID).map((t) => this.containers.remove(t.container.Id, { force: true }).catch(() => undefined)));
  }

  /** Engine shutdown. */
  close(): void {
    this.reconciler.close();
  }
}

/** An unhealthy task's error, in Swarm's words. */
const UNHEALTHY_TASK = 'task: non-zero exit (137): dockerexec: unhealthy container';

/** Container events after which a replica may start or stop taking connections. */
const SERVING_CHANGES = new Set(['start', 'die', 'destroy', 'pause', 'unpause']);

/** The ports after `--publish-add`/`--publish-rm`; undefined when neither is given. */
function updatedPorts(spec: ServiceSpec, o: ServiceUpdateOptions): ServicePort[] | undefined {
  if (!o.publishAdd?.length && !o.publishRm?.length) return undefined;
  const added = servicePorts(o.publishAdd ?? []);
  const rm = new Set(o.publishRm ?? []);
  const kept = (spec.EndpointSpec?.Ports ?? []).filter((p) => !rm.has(p.TargetPort) && !added.some((a) => a.PublishedPort === p.PublishedPort));
  return [...kept, ...added];
}

/** `--publish` as Swarm's EndpointSpec ports; a host port given twice is refused. */
function servicePorts(publish: readonly { published: number; target: number }[]): ServicePort[] {
  const seen = new Set<number>();
  return publish.map(({ published, target }) => {
    for (const p of [published, target]) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw new InvalidParameterError(`invalid port ${p}: must be between 1 and 65535`);
    }
    if (seen.has(published)) throw new InvalidParameterError(`rpc error: code = InvalidArgument desc = EndpointSpec: duplicate published ports provided`);
    seen.add(published);
    return { Protocol: 'tcp', TargetPort: target, PublishedPort: published, PublishMode: 'ingress' };
  });
}

/** `spread=node.labels.zone`, Swarm's only placement preference. */
function parsePlacementPref(p: string): { Spread: { SpreadDescriptor: string } } {
  const m = /^spread=(node\.labels\.[\w.-]+)$/.exec(p.trim());
  if (!m) throw new InvalidParameterError(`invalid placement preference ${p}: expected spread=node.labels.<label>`);
  return { Spread: { SpreadDescriptor: m[1]! } };
}

function validSpec(s: ServiceSpec): ServiceSpec {
  const c = s.TaskTemplate;
  if ('Replicated' in s.Mode && (!Number.isInteger(s.Mode.Replicated.Replicas) || s.Mode.Replicated.Replicas < 0)) {
    throw new InvalidParameterError(`invalid replicas value ${s.Mode.Replicated.Replicas}: must be a non-negative integer`);
  }
  if (!CONDITIONS.includes(c.RestartPolicy.Condition)) throw new InvalidParameterError(`invalid restart condition: ${c.RestartPolicy.Condition}`);
  if (!FAILURE_ACTIONS.includes(s.UpdateConfig.FailureAction)) {
    throw new InvalidParameterError(`invalid update failure action: ${s.UpdateConfig.FailureAction}: must be pause, continue or rollback`);
  }
  if (s.UpdateConfig.Parallelism < 0) throw new InvalidParameterError('update parallelism cannot be negative');
  for (const k of c.Placement.Constraints ?? []) {
    if (!/^\s*node\.(name|id|labels\.[\w.-]+)\s*(==|!=)\s*\S/.test(k)) throw new InvalidParameterError(`invalid placement constraint: ${k}`);
  }
  return s;
}
