import type { ContainerRecord } from '../../core/store/container-types.ts';
import type { TaskTemplate } from '../../core/store/service-types.ts';

/** Swarm's labels on a task's container, so `docker ps`/`inspect` show them as Docker's do. */
export const TASK_LABEL = {
  serviceName: 'com.docker.swarm.service.name',
  serviceId: 'com.docker.swarm.service.id',
  taskId: 'com.docker.swarm.task.id',
  taskName: 'com.docker.swarm.task.name',
  nodeId: 'com.docker.swarm.node.id',
  /** This engine's own: which task template the task runs (a rolling update replaces the others). */
  template: 'browser-container-engine.task.template',
} as const;

/** A task: one container of a service, in a slot (replicated) or on a node (global). */
export interface Task {
  readonly id: string;
  /** `web.1.<id>` (replicated) or `web.<node id>.<id>` (global): its container's name. */
  readonly name: string;
  /** The slot (1…) of a replicated service's task; for a global one, its node's ID. */
  readonly slot: string;
  readonly nodeId: string;
  readonly template: string;
  readonly container: ContainerRecord;
}

/** The task a container is, if it belongs to service `serviceId`. */
export function taskOf(c: ContainerRecord, serviceId?: string): Task | undefined {
  const l = c.Config.Labels;
  const service = l[TASK_LABEL.serviceId];
  if (!service || (serviceId !== undefined && service !== serviceId)) return undefined;
  const name = l[TASK_LABEL.taskName] ?? c.Name.slice(1);
  const serviceName = l[TASK_LABEL.serviceName] ?? '';
  const slot = name.slice(serviceName.length + 1).split('.')[0] ?? '';
  return { id: l[TASK_LABEL.taskId] ?? '', name, slot, nodeId: l[TASK_LABEL.nodeId] ?? '', template: l[TASK_LABEL.template] ?? '', container: c };
}

/** A stable digest of what a task runs, to tell tasks of an older template from current ones. */
export function templateKey(t: TaskTemplate): string {
  const text = JSON.stringify([t.ContainerSpec, t.Resources, t.Networks ?? [], t.Placement.Constraints ?? []]);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
