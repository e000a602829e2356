import type { TaskTemplate } from '../../core/store/service-types.ts';
import type { NodeInfo } from '../nodes/node-manager.ts';

/**
 * Swarm's scheduler for one service's new tasks: among the nodes that may take them, spread by
 * each `--placement-pref spread=` label in turn (the group of nodes with the fewest of the
 * service's tasks first; nodes without the label form one group), then by the service's tasks
 * per node, then by the node's load. A task with a memory reservation goes only to a node with
 * that much unreserved (`reserved`: bytes reserved per node ID). `tasksOn` counts the service's
 * running tasks per node ID; it and `reserved` are updated as tasks are placed, so one call places
 * a batch. Fewer nodes than `count` come back when the rest fit nowhere.
 */
export function placeTasks(
  count: number,
  nodes: readonly NodeInfo[],
  template: TaskTemplate,
  tasksOn: Map<string, number>,
  reserved: Map<string, number> = new Map(),
): NodeInfo[] {
  const load = new Map(nodes.map((n) => [n.ID, n.Running]));
  const spreads = (template.Placement.Preferences ?? []).map((p) => labelOf(p.Spread.SpreadDescriptor));
  const need = template.Resources.Reservations?.MemoryBytes ?? 0;
  const out: NodeInfo[] = [];
  for (let i = 0; i < count; i++) {
    let pool = nodes.filter((n) => hasRoom(n, reserved, need));
    if (!pool.length) break;
    for (const label of spreads) {
      const groups = new Map<string, NodeInfo[]>();
      for (const n of pool) {
        const key = n.Labels[label] ?? '\0none';
        groups.set(key, [...(groups.get(key) ?? []), n]);
      }
      const total = (g: NodeInfo[]) => g.reduce((s, n) => s + (tasksOn.get(n.ID) ?? 0), 0);
      pool = [...groups.values()].sort((a, b) => total(a) - total(b))[0]!;
    }
    pool.sort((a, b) => (tasksOn.get(a.ID) ?? 0) - (tasksOn.get(b.ID) ?? 0) || load.get(a.ID)! - load.get(b.ID)! || a.Name.localeCompare(b.Name));
    const n = pool[0]!;
    out.push(n);
    tasksOn.set(n.ID, (tasksOn.get(n.ID) ?? 0) + 1);
    load.set(n.ID, load.get(n.ID)! + 1);
    reserved.set(n.ID, (reserved.get(n.ID) ?? 0) + need);
  }
  return out;
}

/** Whether `need` bytes are still unreserved on node `n` (`reserved`: bytes per node ID). */
export function hasRoom(n: NodeInfo, reserved: ReadonlyMap<string, number>, need: number): boolean {
  return n.MemoryBytes - (reserved.get(n.ID) ?? 0) >= need;
}

/** `node.labels.zone` → `zone`; Swarm's spread descriptors name a node label. */
function labelOf(descriptor: string): string {
  return descriptor.replace(/^node\.labels\./, '');
}
