import { ConflictError } from '../../core/errors.ts';
import type { ServiceEndpoint, ServiceRecord, ServiceSpec, UpdateStatus } from '../../core/store/service-types.ts';
import type { EventBus } from '../events.ts';
import type { Reconciler } from './reconciler.ts';
import type { ServiceStore } from './service-store.ts';
import { templateKey } from './task-labels.ts';

export interface RollingUpdateDeps {
  readonly store: ServiceStore;
  readonly reconciler: Reconciler;
  readonly events: EventBus;
  /** Binds the published ports of a spec in place of the service's (a rollback of a port change). */
  readonly rebind: (svc: ServiceRecord, spec: ServiceSpec) => ServiceEndpoint;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Swarm's rolling update (stop-first): the tasks of an older template are replaced
 * `Parallelism` at a time; each batch's new tasks must keep running for `Monitor`, then `Delay`
 * passes before the next batch. A batch that fails applies `FailureAction`: `pause` stops the
 * update, `rollback` rolls back to the previous spec (the same way), `continue` goes on.
 */
export class RollingUpdates {
  private readonly active = new Map<string, string>();

  constructor(private readonly deps: RollingUpdateDeps) {}

  /** Runs the update of service `id` unless one for its current template already runs. */
  ensure(svc: ServiceRecord): void {
    const state = svc.UpdateStatus?.State;
    if (state !== 'updating' && state !== 'rollback_started') return;
    const key = templateKey(svc.Spec.TaskTemplate);
    if (this.active.get(svc.ID) === key) return;
    this.active.set(svc.ID, key);
    void this.run(svc.ID, key)
      .catch((e) => console.warn(`update of service ${svc.ID.slice(0, 12)} failed:`, e))
      .finally(() => {
        if (this.active.get(svc.ID) === key) this.active.delete(svc.ID);
      });
  }

  private async run(id: string, key: string): Promise<void> {
    const { store, reconciler } = this.deps;
    const stillOurs = () => this.active.get(id) === key && store.get(id) !== undefined;
    for (;;) {
      if (!stillOurs()) return;
      const svc = store.get(id)!;
      const outdated = [...reconciler.current(id).values()].filter((t) => t.template !== key && t.container.State.Running);
      const rollingBack = svc.UpdateStatus?.State === 'rollback_started';
      if (!outdated.length) {
        // A finished rollback keeps saying why it was started: `service update` reports that.
        await this.finish(svc, rollingBack ? 'rollback_completed' : 'completed', rollingBack ? (svc.UpdateStatus?.Message ?? '') : 'update completed');
        return;
      }
      const cfg = svc.Spec.UpdateConfig;
      const batch = outdated.slice(0, cfg.Parallelism || outdated.length);
      const since = Date.now();
      await Promise.all(batch.map((t) => reconciler.shutdown(t)));
      await reconciler.kick(id);
      await sleep(cfg.Monitor / 1e6);
      if (!stillOurs()) return;
      const slots = new Set(batch.map((t) => t.slot));
      const failed = reconciler
        .tasks(id)
        .some((t) => slots.has(t.slot) && t.template === key && Date.parse(t.container.Created) >= since && !t.container.State.Running);
      const missing = [...slots].some((s) => {
        const cur = reconciler.current(id).get(s);
        return !cur || cur.template !== key || !cur.container.State.Running;
      });
      if ((failed || missing) && cfg.FailureAction !== 'continue') {
        if (rollingBack) return this.finish(svc, 'rollback_paused', 'rollback paused due to failure or early termination of task');
        if (cfg.FailureAction === 'pause') return this.finish(svc, 'paused', 'update paused due to failure or early termination of task');
        await this.rollback(svc, 'update rolled back due to failure or early termination of task');
        return;
      }
      await sleep(cfg.Delay / 1e6);
    }
  }

  /** Swaps the spec and the previous spec, and rolls the tasks back to it. */
  async rollback(svc: ServiceRecord, message: string): Promise<ServiceRecord> {
    if (!svc.PreviousSpec) throw new ConflictError(`service ${svc.Spec.Name} does not have a previous spec`);
    const now = new Date().toISOString();
    const ports = (s: ServiceSpec) => JSON.stringify(s.EndpointSpec?.Ports ?? []);
    const next: ServiceRecord = {
      ...svc,
      ...(ports(svc.PreviousSpec) !== ports(svc.Spec) ? { Endpoint: this.deps.rebind(svc, svc.PreviousSpec) } : {}),
      Version: { Index: svc.Version.Index + 1 },
      UpdatedAt: now,
      Spec: svc.PreviousSpec,
      PreviousSpec: svc.Spec,
      UpdateStatus: { State: 'rollback_started', StartedAt: now, Message: message },
    };
    await this.deps.store.save(next);
    this.deps.events.emit('service', 'update', svc.ID, { name: svc.Spec.Name });
    void this.deps.reconciler.kick(svc.ID);
    this.ensure(next);
    return next;
  }

  private async finish(svc: ServiceRecord, state: UpdateStatus['State'], message: string): Promise<void> {
    const cur = this.deps.store.get(svc.ID);
    if (!cur?.UpdateStatus) return;
    await this.deps.store.save({ ...cur, UpdateStatus: { ...cur.UpdateStatus, State: state, CompletedAt: new Date().toISOString(), Message: message } });
    this.deps.events.emit('service', 'update', svc.ID, { name: svc.Spec.Name, 'updatestate.new': state });
  }
}
