import type { ContainerRecord } from '../../core/store/container-types.ts';
import type { ServiceRecord } from '../../core/store/service-types.ts';
import type { ContainerService } from '../containers/container-service.ts';
import { ENGINE_RESTARTED } from '../containers/container-tasks.ts';
import type { NodeInfo, NodeManager } from '../nodes/node-manager.ts';
import { randomHex } from '../random-hex.ts';
import type { ServiceStore } from './service-store.ts';
import { TASK_LABEL, type Task, taskOf, templateKey } from './task-labels.ts';
import { hasRoom, placeTasks } from './task-scheduler.ts';

export interface ReconcilerDeps {
  readonly containers: ContainerService;
  readonly nodes: NodeManager;
  readonly store: ServiceStore;
}

/** Shut-down tasks kept per slot for `docker service ps` (Swarm's task history limit). */
const TASK_HISTORY = 5;
const DEFAULT_GRACE_NS = 10e9;

/**
 * Turns each service's desired state into tasks (containers) on nodes. A pass looks at the
 * service's tasks and the nodes as they are now and acts: fills empty slots, restarts ended tasks
 * by the restart policy (after its delay), reschedules at once the tasks that ended because their
 * node went down or the page reloaded, moves tasks off drained nodes, removes surplus slots. Passes
 * of one service run one at a time; a change during a pass queues one more.
 */
export class Reconciler {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly queued = new Set<string>();
  /** The next pass a restart delay asks for, per service. */
  private readonly timers = new Map<string, { at: number; timer: ReturnType<typeof setTimeout> }>();
  /** Containers this reconciler stopped (drain, update, scale down): not failures, replaced at once. */
  private readonly shutDown = new Set<string>();
  /** Bytes reserved per node ID by tasks being created now, not yet in the container list. */
  private readonly placing = new Map<string, number>();
  /** Why a service's last task could not be created (no image, no node), for `service ps`. */
  readonly errors = new Map<string, string>();

  constructor(private readonly deps: ReconcilerDeps) {}

  /** Queues a pass over service `id`; resolves when a pass that started after this call is done. */
  kick(id: string): Promise<void> {
    const chain = this.chains.get(id);
    if (chain && this.queued.has(id)) return chain;
    this.queued.add(id);
    const next = (chain ?? Promise.resolve()).then(async () => {
      this.queued.delete(id);
      try {
        await this.pass(id);
      } catch (e) {
        console.warn(`reconciling service ${id.slice(0, 12)} failed:`, e);
      }
    });
    this.chains.set(id, next);
    return next;
  }

  kickAll(): Promise<void> {
    return Promise.all(this.deps.store.all().map((s) => this.kick(s.ID))).then(() => undefined);
  }

  /** Every task of a service, history included, oldest first. */
  tasks(serviceId: string): Task[] {
    const out: Task[] = [];
    for (const c of this.deps.containers.list({ all: true })) {
      if (c.Labels[TASK_LABEL.serviceId] !== serviceId) continue;
      const t = taskOf(this.deps.containers.inspect(c.Id), serviceId);
      if (t) out.push(t);
    }
    return out.sort((a, b) => a.container.Created.localeCompare(b.container.Created));
  }

  /** The newest task of each slot: what `REPLICAS` counts and `service ps` lists first. */
  current(serviceId: string): Map<string, Task> {
    const out = new Map<string, Task>();
    for (const t of this.tasks(serviceId)) out.set(t.slot, t);
    return out;
  }

  /** Stops a task as Swarm shuts one down: the stop signal, then SIGKILL after its grace period. */
  async shutdown(t: Task): Promise<void> {
    this.shutDown.add(t.container.Id);
    await this.deps.containers.stop(t.container.Id, { timeout: t.container.Config.StopTimeout }).catch(() => undefined);
  }

  /** A task ended by the engine, not by its own failure: rescheduled without the restart delay. */
  private interrupted(c: ContainerRecord, nodes: Map<string, NodeInfo>): boolean {
    const node = [...nodes.values()].find((n) => n.Name === c.Node);
    return this.shutDown.has(c.Id) || c.State.Error === ENGINE_RESTARTED || !node || node.State === 'down' || node.Availability === 'drain';
  }

  private async pass(id: string): Promise<void> {
    const svc = this.deps.store.get(id);
    if (!svc) return;
    const { nodes } = this.deps;
    const all = new Map(nodes.list().map((n) => [n.ID, n]));
    const template = svc.Spec.TaskTemplate;
    const eligible = nodes.candidates(template.Placement.Constraints ?? []);
    const bySlot = new Map<string, Task[]>();
    for (const t of this.tasks(id)) bySlot.set(t.slot, [...(bySlot.get(t.slot) ?? []), t]);
    const global = 'Global' in svc.Spec.Mode;
    const wanted = global
      ? new Set(eligible.map((n) => n.ID))
      : new Set(Array.from({ length: (svc.Spec.Mode as { Replicated: { Replicas: number } }).Replicated.Replicas }, (_, i) => String(i + 1)));

    const removals: Promise<void>[] = [];
    const stops: Promise<void>[] = [];
    const toFill: string[] = [];
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const [slot, tasks] of bySlot) {
      const cur = tasks[tasks.length - 1]!;
      const running = cur.container.State.Running;
      // A surplus slot (scaled down) or, in global mode, a node that no longer takes the task.
      if (!wanted.has(slot)) {
        if (global && running && all.get(slot)?.Availability === 'pause' && all.get(slot)?.State === 'ready') continue;
        removals.push(...tasks.map((t) => this.removeTask(t)));
        continue;
      }
      this.pruneHistory(tasks);
      if (running) {
        if (all.get(cur.nodeId)?.Availability === 'drain') stops.push(this.shutdown(cur).then(() => void toFill.push(slot)));
        continue;
      }
      if (cur.container.State.Restarting) continue;
      if (this.interrupted(cur.container, all)) {
        toFill.push(slot);
        continue;
      }
      const policy = template.RestartPolicy;
      const exit = cur.container.State.ExitCode;
      if (policy.Condition === 'none' || (policy.Condition === 'on-failure' && exit === 0)) continue;
      if (policy.MaxAttempts > 0 && tasks.length > policy.MaxAttempts) continue;
      // From its end, or its creation for a task that never started.
      const ended = Math.max(Date.parse(cur.container.State.FinishedAt) || 0, Date.parse(cur.container.Created));
      const due = ended + policy.Delay / 1e6;
      if (due <= Date.now()) toFill.push(slot);
      else wakeAt = Math.min(wakeAt, due);
    }
    for (const slot of wanted) if (!bySlot.has(slot)) toFill.push(slot);
    await Promise.all(stops);
    this.wakeUp(id, wakeAt);
    await Promise.all([...removals, this.fill(svc, toFill, eligible, bySlot)]);
  }

  /** Creates and starts a task for each slot, placed by the scheduler. */
  private async fill(svc: ServiceRecord, slots: readonly string[], eligible: NodeInfo[], bySlot: Map<string, Task[]>): Promise<void> {
    if (!slots.length) return;
    if (!eligible.length) {
      this.errors.set(svc.ID, 'no suitable node (insufficient resources or constraints on 0 nodes)');
      return;
    }
    const global = 'Global' in svc.Spec.Mode;
    const tasksOn = new Map<string, number>();
    for (const tasks of bySlot.values()) {
      const cur = tasks[tasks.length - 1]!;
      if (cur.container.State.Running && !slots.includes(cur.slot)) tasksOn.set(cur.nodeId, (tasksOn.get(cur.nodeId) ?? 0) + 1);
    }
    const reserved = this.reservedOn();
    const need = svc.Spec.TaskTemplate.Resources.Reservations?.MemoryBytes ?? 0;
    const placements: [string, NodeInfo][] = global
      ? slots.map((s) => [s, eligible.find((n) => n.ID === s)!] as [string, NodeInfo]).filter(([, n]) => hasRoom(n, reserved, need))
      : placeTasks(slots.length, eligible, svc.Spec.TaskTemplate, tasksOn, reserved).map((n, i) => [slots[i]!, n]);
    if (placements.length < slots.length) {
      // Swarm's words; the tasks wait, and a pass a second later looks for room again.
      this.errors.set(svc.ID, `no suitable node (insufficient resources on ${eligible.length} node${eligible.length === 1 ? '' : 's'})`);
      this.wakeUp(svc.ID, Date.now() + 1000);
    }
    await Promise.all(
      placements.map(async ([slot, node]) => {
        this.placing.set(node.ID, (this.placing.get(node.ID) ?? 0) + need);
        try {
          await this.startTask(svc, slot, node, placements.length === slots.length);
        } finally {
          this.placing.set(node.ID, this.placing.get(node.ID)! - need);
        }
      }),
    );
  }

  /**
   * Memory reserved per node ID: by every service's tasks that run or are about to, and by the
   * placements of passes still under way (another service's pass may be placing at once).
   */
  private reservedOn(): Map<string, number> {
    const out = new Map(this.placing);
    for (const c of this.deps.containers.list({ all: true })) {
      if (c.State === 'exited' || c.State === 'dead') continue;
      const need = this.deps.store.get(c.Labels[TASK_LABEL.serviceId] ?? '')?.Spec.TaskTemplate.Resources.Reservations?.MemoryBytes;
      const node = c.Labels[TASK_LABEL.nodeId];
      if (need && node) out.set(node, (out.get(node) ?? 0) + need);
    }
    return out;
  }

  /** `clearsError`: every waiting slot was placed, so the service's last error no longer holds. */
  private async startTask(svc: ServiceRecord, slot: string, node: NodeInfo, clearsError: boolean): Promise<void> {
    const t = svc.Spec.TaskTemplate;
    const c = t.ContainerSpec;
    const taskId = randomHex(25);
    const name = `${svc.Spec.Name}.${slot}.${taskId}`;
    let id: string;
    try {
      ({ Id: id } = await this.deps.containers.create({
        image: c.Image,
        name,
        ...(c.Args?.length ? { cmd: c.Args } : {}),
        env: c.Env ?? [],
        labels: {
          ...c.Labels,
          [TASK_LABEL.serviceName]: svc.Spec.Name,
          [TASK_LABEL.serviceId]: svc.ID,
          [TASK_LABEL.taskId]: taskId,
          [TASK_LABEL.taskName]: name,
          [TASK_LABEL.nodeId]: node.ID,
          [TASK_LABEL.template]: templateKey(t),
        },
        constraints: [`node.id==${node.ID}`],
        stopTimeout: Math.ceil((c.StopGracePeriod ?? DEFAULT_GRACE_NS) / 1e9),
        ...(c.Healthcheck ? { healthcheck: c.Healthcheck } : {}),
        ...(t.Resources.Limits?.MemoryBytes ? { memory: t.Resources.Limits.MemoryBytes } : {}),
        ...(t.Networks?.[0] ? { network: t.Networks[0].Target } : {}),
      }));
    } catch (e) {
      // Nothing to show as a task (no image, say): retried after the restart delay.
      this.errors.set(svc.ID, (e as Error).message);
      this.wakeUp(svc.ID, Date.now() + Math.max(t.RestartPolicy.Delay / 1e6, 1000));
      return;
    }
    if (clearsError) this.errors.delete(svc.ID);
    // A start that fails leaves an exited task: the next pass applies the restart policy to it.
    await this.deps.containers.start(id).catch(() => undefined);
  }

  private async removeTask(t: Task): Promise<void> {
    this.shutDown.add(t.container.Id);
    await this.deps.containers.remove(t.container.Id, { force: true }).catch(() => undefined);
    this.shutDown.delete(t.container.Id);
  }

  /** Keeps the newest TASK_HISTORY ended tasks of a slot. */
  private pruneHistory(tasks: readonly Task[]): void {
    const ended = tasks.slice(0, -1);
    for (const t of ended.slice(0, Math.max(0, ended.length - TASK_HISTORY))) void this.removeTask(t);
  }

  /** A pass at `at`, unless one is already due sooner. */
  private wakeUp(id: string, at: number): void {
    if (!Number.isFinite(at)) return;
    const existing = this.timers.get(id);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        void this.kick(id);
      },
      Math.max(0, at - Date.now()),
    );
    this.timers.set(id, { at, timer });
  }

  /** Forgets a removed service's timers. */
  forget(id: string): void {
    clearTimeout(this.timers.get(id)?.timer);
    this.timers.delete(id);
    this.errors.delete(id);
  }

  /** Engine shutdown: no pass fires after it. */
  close(): void {
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
  }
}
