// The rows of `docker service ps` and `docker node ps`: tasks, newest of each slot first, its
// shut-down predecessors under it as Swarm's ` \_ name` rows.
import type { Engine, Task } from '../../engine/index.ts';
import { humanDuration } from '../../engine/index.ts';
import type { Command } from '../command.ts';
import { formatList, goStruct } from '../format-template.ts';
import { filterFlag, LIST_FORMAT_FLAG, listFormat, parseFilters } from '../output.ts';

const HEADERS = {
  ID: 'ID',
  Name: 'NAME',
  Image: 'IMAGE',
  Node: 'NODE',
  DesiredState: 'DESIRED STATE',
  CurrentState: 'CURRENT STATE',
  Error: 'ERROR',
  Ports: 'PORTS',
};

/** docker/cli's limit on the ERROR column unless --no-trunc. */
const MAX_ERROR = 30;

/** The flags both `ps` commands take. */
export const TASK_LIST_FLAGS: Command['flags'] = [
  filterFlag(),
  LIST_FORMAT_FLAG,
  { name: 'no-trunc', type: 'bool', description: 'Do not truncate output' },
  { name: 'quiet', short: 'q', type: 'bool', description: 'Only display task IDs' },
];

/** What a task is now and why it ended, as Swarm's task states name it. */
function taskState(t: Task): { state: string; since: string; error: string } {
  const s = t.container.State;
  if (s.Running) return { state: 'Running', since: s.StartedAt, error: '' };
  if (s.Status === 'created') return { state: 'Pending', since: t.container.Created, error: s.Error };
  if (s.Error) return { state: 'Failed', since: s.FinishedAt, error: s.Error };
  if (s.ExitCode === 0) return { state: 'Complete', since: s.FinishedAt, error: '' };
  // Stopped by the stop signal or SIGKILL (drain, update, scale down): shut down, not failed.
  if (s.ExitCode === 143 || s.ExitCode === 137) return { state: 'Shutdown', since: s.FinishedAt, error: '' };
  return { state: 'Failed', since: s.FinishedAt, error: `task: non-zero exit (${s.ExitCode})` };
}

function row(t: Task, current: boolean, trunc: boolean, nodeName: (id: string) => string): object {
  const { state, since, error } = taskState(t);
  const ago = Date.parse(since) > 0 ? ` ${humanDuration((Date.now() - Date.parse(since)) / 1000)} ago` : '';
  const slotName = t.name.slice(0, t.name.lastIndexOf('.'));
  const err = trunc && error.length > MAX_ERROR ? `${error.slice(0, MAX_ERROR - 1)}…` : error;
  return goStruct(
    {
      ID: trunc ? t.id.slice(0, 12) : t.id,
      Name: current ? slotName : ` \\_ ${slotName}`,
      Image: t.container.Config.Image,
      Node: nodeName(t.nodeId),
      DesiredState: current && t.container.State.Running ? 'Running' : 'Shutdown',
      CurrentState: `${state}${ago}`,
      Error: err ? `"${err}"` : '',
      Ports: '',
    },
    '*formatter.taskContext',
  );
}

/** Prints tasks as `docker service ps` does, honouring -q, --format, --filter and --no-trunc. */
export function printTasks(ctx: Parameters<Command['run']>[0], tasks: readonly Task[]): void {
  const f = parseFilters(ctx.flags.strings('filter'), ['desired-state', 'id', 'name', 'node']);
  const engine: Engine = ctx.engine;
  const names = new Map(engine.nodes.list().map((n) => [n.ID, n.Name]));
  const nodeName = (id: string) => names.get(id) ?? id;
  const trunc = !ctx.flags.bool('no-trunc');
  const bySlot = new Map<string, Task[]>();
  for (const t of tasks) {
    const key = `${t.container.Config.Labels['com.docker.swarm.service.id']}\0${t.slot}`;
    bySlot.set(key, [...(bySlot.get(key) ?? []), t]);
  }
  const slots = [...bySlot.values()].sort((a, b) => a[0]!.name.localeCompare(b[0]!.name, undefined, { numeric: true }));
  const rows: object[] = [];
  for (const list of slots) {
    list
      .slice()
      .reverse()
      .forEach((t, i) => {
        const desired = i === 0 && t.container.State.Running ? 'running' : 'shutdown';
        const ok =
          (!f.has('desired-state') || f.get('desired-state')!.includes(desired)) &&
          (!f.has('id') || f.get('id')!.some((v) => t.id.startsWith(v))) &&
          (!f.has('name') || f.get('name')!.some((v) => t.name.startsWith(v))) &&
          (!f.has('node') || f.get('node')!.some((v) => v === nodeName(t.nodeId) || t.nodeId.startsWith(v)));
        if (ok) rows.push(row(t, i === 0, trunc, nodeName));
      });
  }
  const format = listFormat(ctx.flags, {
    table: 'table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}\t{{.Ports}}',
    quiet: '{{.ID}}',
  });
  ctx.io.stdout(formatList(format, rows, HEADERS));
}
