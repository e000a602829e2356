import { InvalidParameterError, NotFoundError } from '../../core/errors.ts';
import type { ServiceRecord } from '../../core/store/service-types.ts';
import type { ComposeProject, ComposeService } from '../compose/model/compose-model.ts';
import { parseGoDuration } from '../go-duration.ts';
import type { NetworkService } from '../networks/network-service.ts';
import type { ServiceCreateOptions, ServiceManager } from './service-manager.ts';

/** Swarm's label naming the stack of a service or network. */
const STACK_LABEL = 'com.docker.stack.namespace';

/** What `stack deploy` did, one line each, as Docker prints it. */
type StackStep = `Creating network ${string}` | `Creating service ${string}` | `Updating service ${string} (id: ${string})`;

const ns = (d: string | undefined) => (d === undefined ? undefined : parseGoDuration(d));

/**
 * `docker stack deploy`: a Compose project as services `NAME_svc` on networks `NAME_net`, from
 * the `deploy:` keys. A stack is its labels (Swarm's `com.docker.stack.namespace`), as Swarm
 * keeps it; deploying again updates the services that exist.
 */
export class Stacks {
  constructor(
    private readonly services: ServiceManager,
    private readonly networks: NetworkService,
  ) {}

  async deploy(name: string, project: ComposeProject, onStep: (s: StackStep) => void = () => undefined): Promise<void> {
    const specs = Object.entries(project.services).map(([key, s]) => [key, serviceOptions(name, key, s, project)] as const);
    const labels = { [STACK_LABEL]: name };
    const wanted = new Set(Object.values(project.services).flatMap((s) => Object.keys(s.networks).map((k) => project.networks[k]?.name ?? `${name}_${k}`)));
    for (const net of [...wanted].sort()) {
      if (this.networks.list().some((n) => n.Name === net)) continue;
      onStep(`Creating network ${net}`);
      await this.networks.create({ name: net, labels });
    }
    for (const [, o] of specs) {
      const existing = this.services.list().find((s) => s.Spec.Name === o.name);
      if (!existing) {
        onStep(`Creating service ${o.name}`);
        await this.services.create(o);
        continue;
      }
      onStep(`Updating service ${o.name} (id: ${existing.ID})`);
      const env = new Set(o.env);
      await this.services.update(existing.ID, {
        image: o.image,
        args: o.args ?? [],
        envRm: (existing.Spec.TaskTemplate.ContainerSpec.Env ?? []).filter((e) => !env.has(e)).map((e) => e.split('=')[0]!),
        envAdd: o.env ?? [],
        ...(o.mode !== 'global' ? { replicas: o.replicas ?? 1 } : {}),
      });
    }
  }

  /** Stack names with their number of services. */
  list(): { name: string; services: number }[] {
    const counts = new Map<string, number>();
    for (const s of this.services.list()) {
      const stack = s.Spec.Labels[STACK_LABEL];
      if (stack) counts.set(stack, (counts.get(stack) ?? 0) + 1);
    }
    return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([name, services]) => ({ name, services }));
  }

  servicesOf(name: string): ServiceRecord[] {
    const out = this.services.list().filter((s) => s.Spec.Labels[STACK_LABEL] === name);
    if (!out.length) throw new NotFoundError(`Nothing found in stack: ${name}`);
    return out;
  }

  /** Removes the stack's services, then its networks; returns what it removed, in order. */
  async remove(name: string): Promise<string[]> {
    const done: string[] = [];
    for (const s of this.servicesOf(name)) {
      await this.services.remove(s.ID);
      done.push(`Removing service ${s.Spec.Name}`);
    }
    for (const n of this.networks.list().filter((x) => x.Labels[STACK_LABEL] === name)) {
      await this.networks.remove(n.Id);
      done.push(`Removing network ${n.Name}`);
    }
    return done;
  }
}

/** One Compose service as `service create` options; keys a service cannot honour here are refused. */
function serviceOptions(stack: string, key: string, s: ComposeService, project: ComposeProject): ServiceCreateOptions & { name: string } {
  const refuse = (what: string) => new InvalidParameterError(`service ${key}: ${what} is not supported by stack deploy yet`);
  if (!s.image) throw new InvalidParameterError(`service ${key}: stack deploy needs an image (it does not build: build and push the image first)`);
  const publish = s.ports.map((p) => {
    if (p.protocol !== 'tcp' || p.mode !== 'ingress') throw refuse(`ports of protocol ${p.protocol} in mode ${p.mode} (only tcp through the routing mesh)`);
    if (!p.published || !/^\d+$/.test(p.published)) throw refuse(`ports without one published port (${p.published ?? 'none'} for ${p.target})`);
    return { published: Number(p.published), target: p.target };
  });
  if (s.volumes.length) throw refuse('volumes');
  if (s.entrypoint) throw refuse('entrypoint');
  const nets = Object.keys(s.networks);
  if (nets.length > 1) throw refuse('more than one network');
  const d = s.deploy ?? {};
  const restart = d.restart_policy ?? {};
  const update = d.update_config ?? {};
  const memory = d.resources?.limits?.memory ?? s.mem_limit;
  const reserved = d.resources?.reservations?.memory;
  const delay = ns(restart.delay);
  const updateDelay = ns(update.delay);
  return {
    name: `${stack}_${key}`,
    image: s.image,
    ...(s.command ? { args: s.command } : {}),
    env: Object.entries(s.environment).map(([k, v]) => `${k}=${v}`),
    labels: { ...d.labels, [STACK_LABEL]: stack },
    containerLabels: { ...s.labels, [STACK_LABEL]: stack },
    mode: d.mode ?? 'replicated',
    ...(d.mode !== 'global' ? { replicas: d.replicas ?? 1 } : {}),
    constraints: d.placement?.constraints ?? [],
    placementPrefs: (d.placement?.preferences ?? []).map((p) => `spread=${p.spread}`),
    ...(restart.condition ? { restartCondition: restart.condition } : {}),
    ...(delay !== undefined ? { restartDelay: delay } : {}),
    ...(restart.max_attempts !== undefined ? { restartMaxAttempts: restart.max_attempts } : {}),
    ...(update.parallelism !== undefined ? { updateParallelism: update.parallelism } : {}),
    ...(updateDelay !== undefined ? { updateDelay } : {}),
    ...(update.failure_action ? { updateFailureAction: update.failure_action } : {}),
    ...(memory !== undefined ? { limitMemory: memory } : {}),
    ...(reserved !== undefined ? { reserveMemory: reserved } : {}),
    ...(s.stop_grace_period ? { stopGracePeriod: parseGoDuration(s.stop_grace_period) } : {}),
    ...(publish.length ? { publish } : {}),
    networks: nets.map((n) => project.networks[n]?.name ?? `${stack}_${n}`),
  };
}
