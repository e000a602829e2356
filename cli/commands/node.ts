// `docker node …`: the Workers containers run on, as Swarm shows its nodes. `node create` is this
// engine's own (Swarm nodes join; ours are started by the manager).
import type { Engine, NodeAvailability, NodeInfo } from '../../engine/index.ts';
import { ENGINE_VERSION, NotFoundError, parseMemory } from '../../engine/index.ts';
import { CliError, type Command, type CommandGroup } from '../command.ts';
import { formatList, goStruct } from '../format-template.ts';
import { bytesSize } from '../humanize.ts';
import { eachTarget, filterFlag, inspectEach, LIST_FORMAT_FLAG, listFormat, objectFormat, objectFormatFlag, parseFilters } from '../output.ts';
import { alignColumns } from '../table.ts';
import { parseLabels } from './container-run.ts';
import { printTasks, TASK_LIST_FLAGS } from './task-rows.ts';

export const nodeGroup: CommandGroup = { name: 'node', short: 'Manage nodes (the Workers containers run on)' };

const NODE_HEADERS = {
  Availability: 'AVAILABILITY',
  Containers: 'CONTAINERS',
  EngineVersion: 'ENGINE VERSION',
  Hostname: 'HOSTNAME',
  ID: 'ID',
  Labels: 'LABELS',
  ManagerStatus: 'MANAGER STATUS',
  Self: 'SELF',
  Status: 'STATUS',
  TLSStatus: 'TLS STATUS',
};

const title = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Running containers per node name. */
function containersPerNode(engine: Engine): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of engine.containers.list()) out.set(c.Node, (out.get(c.Node) ?? 0) + 1);
  return out;
}

function nodeRow(n: NodeInfo, containers: number): object {
  return goStruct(
    {
      Availability: title(n.Availability),
      Containers: String(containers),
      EngineVersion: ENGINE_VERSION,
      Hostname: n.Name,
      ID: n.ID,
      Labels: Object.keys(n.Labels)
        .sort()
        .map((k) => `${k}=${n.Labels[k]}`)
        .join(','),
      ManagerStatus: '',
      Self: false,
      Status: title(n.State),
      TLSStatus: 'Ready',
    },
    '*formatter.nodeContext',
  );
}

function labelMatches(labels: Readonly<Record<string, string>>, l: string): boolean {
  const eq = l.indexOf('=');
  return eq < 0 ? l in labels : labels[l.slice(0, eq)] === l.slice(eq + 1);
}

const ls: Command = {
  names: ['node ls', 'node list'],
  usage: '[OPTIONS]',
  short: 'List nodes',
  args: 'none',
  flags: [filterFlag(), LIST_FORMAT_FLAG, { name: 'quiet', short: 'q', type: 'bool', description: 'Only display IDs' }],
  async run(ctx) {
    const f = parseFilters(ctx.flags.strings('filter'), ['id', 'label', 'name', 'node.label', 'status']);
    const any = (key: string, test: (v: string) => boolean) => !f.has(key) || f.get(key)!.some(test);
    const nodes = ctx.engine.nodes
      .list()
      .filter(
        (n) =>
          any('id', (v) => n.ID.startsWith(v)) &&
          any('name', (v) => n.Name.startsWith(v)) &&
          any('status', (v) => n.State === v.toLowerCase()) &&
          [...(f.get('label') ?? []), ...(f.get('node.label') ?? [])].every((l) => labelMatches(n.Labels, l)),
      )
      .sort((a, b) => a.Name.localeCompare(b.Name));
    const counts = containersPerNode(ctx.engine);
    const format = listFormat(ctx.flags, { table: 'table {{.ID}}\t{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.Containers}}', quiet: '{{.ID}}' });
    ctx.io.stdout(
      formatList(
        format,
        nodes.map((n) => nodeRow(n, counts.get(n.Name) ?? 0)),
        NODE_HEADERS,
      ),
    );
  },
};

/** A node's inspect document; as docker, a missing one reads `Error: No such node: NAME`. */
function inspectNode(engine: Engine, name: string): NodeInfo {
  try {
    return engine.nodes.inspect(name);
  } catch (e) {
    if (e instanceof NotFoundError) throw new CliError(`Error: No such node: ${name}`);
    throw e;
  }
}

function pretty(n: NodeInfo, containers: number): string {
  const labels = Object.keys(n.Labels).sort();
  const text = [
    `ID:\t${n.ID}`,
    `Hostname:\t${n.Name}`,
    `Joined at:\t${n.CreatedAt}`,
    'Status:',
    ` State:\t${title(n.State)}`,
    ` Availability:\t${title(n.Availability)}`,
    ...(labels.length ? ['Labels:', ...labels.map((k) => ` - ${k}=${n.Labels[k]}`)] : []),
    'Resources:',
    ` Containers:\t${containers}`,
    ` Processes:\t${n.Running}`,
    ` Capacity:\t${n.Capacity}`,
    ` Memory:\t${bytesSize(n.MemoryBytes)}`,
    `Engine Version:\t${ENGINE_VERSION}`,
  ].join('\n');
  return alignColumns(`${text}\n`, { minWidth: 20, padding: 1 });
}

const inspect: Command = {
  names: ['node inspect'],
  usage: '[OPTIONS] self|NODE [NODE...]',
  short: 'Display detailed information on one or more nodes',
  args: { min: 1 },
  flags: [objectFormatFlag(true), { name: 'pretty', type: 'bool', description: 'Print the information in a human friendly format' }],
  async run(ctx) {
    if (ctx.flags.bool('pretty')) {
      const counts = containersPerNode(ctx.engine);
      const errors: string[] = [];
      ctx.args.forEach((name, i) => {
        try {
          const n = inspectNode(ctx.engine, name);
          ctx.io.stdout(`${i > 0 ? '\n\n' : ''}${pretty(n, counts.get(n.Name) ?? 0)}`);
        } catch (e) {
          errors.push((e as Error).message);
        }
      });
      if (errors.length) throw new CliError(errors.join('\n'));
      return;
    }
    await inspectEach(ctx.args, async (n) => inspectNode(ctx.engine, n), objectFormat(ctx.flags), ctx.io.stdout);
  },
};

const rm: Command = {
  names: ['node rm', 'node remove'],
  usage: '[OPTIONS] NODE [NODE...]',
  short: 'Remove one or more nodes',
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force remove a node, ending the containers on it' }],
  async run(ctx) {
    const force = ctx.flags.bool('force');
    await eachTarget(ctx, ctx.args, async (name) => ctx.engine.nodes.remove(name, { force }));
  },
};

/** `--memory 4g`; a value that is no size is a usage error (125), as docker's flags give. */
function memoryFlag(v: string): number {
  try {
    return parseMemory(v);
  } catch {
    throw new CliError(`invalid argument "${v}" for "--memory" flag: invalid size: '${v}'`, 125);
  }
}

const create: Command = {
  names: ['node create'],
  usage: '[OPTIONS] [NAME]',
  short: 'Start a new node',
  args: { max: 1 },
  flags: [
    { name: 'capacity', type: 'int', description: 'Most containers the node runs at once (default 64)' },
    { name: 'label', type: 'stringArray', valueName: 'list', description: 'Node labels (key=value), for placement constraints' },
    { name: 'memory', type: 'string', valueName: 'bytes', description: 'Memory that services may reserve on the node (default 2GiB)' },
  ],
  async run(ctx) {
    const f = ctx.flags;
    if (f.has('capacity') && f.int('capacity') < 1) throw new CliError('invalid capacity: a node runs at least 1 container');
    const n = ctx.engine.nodes.add({
      ...(ctx.args[0] !== undefined ? { name: ctx.args[0] } : {}),
      labels: parseLabels(f.strings('label')),
      ...(f.has('capacity') ? { capacity: f.int('capacity') } : {}),
      ...(f.has('memory') ? { memory: memoryFlag(f.string('memory')) } : {}),
    });
    ctx.out(n.Name);
  },
};

const AVAILABILITIES = ['active', 'pause', 'drain'] as const;

const update: Command = {
  names: ['node update'],
  usage: '[OPTIONS] NODE',
  short: 'Update a node',
  args: { exactly: 1 },
  flags: [
    { name: 'availability', type: 'string', description: 'Availability of the node ("active", "pause", "drain")' },
    { name: 'label-add', type: 'stringArray', valueName: 'list', description: 'Add or update a node label (key=value)' },
    { name: 'label-rm', type: 'stringArray', valueName: 'list', description: 'Remove a node label if exists' },
  ],
  async run(ctx) {
    const f = ctx.flags;
    const availability = f.has('availability') ? f.string('availability').toLowerCase() : undefined;
    if (availability !== undefined && !(AVAILABILITIES as readonly string[]).includes(availability)) {
      throw new CliError(`invalid argument "${f.string('availability')}" for "--availability" flag: invalid availability`, 125);
    }
    inspectNode(ctx.engine, ctx.args[0]!);
    ctx.engine.nodes.update(ctx.args[0]!, {
      ...(availability ? { availability: availability as NodeAvailability } : {}),
      labelAdd: parseLabels(f.strings('label-add')),
      labelRm: f.strings('label-rm'),
    });
    ctx.out(ctx.args[0]!);
  },
};

const ps: Command = {
  names: ['node ps'],
  usage: '[OPTIONS] [NODE...]',
  short: 'List tasks running on one or more nodes, defaults to all nodes',
  args: { min: 0 },
  flags: TASK_LIST_FLAGS,
  async run(ctx) {
    const nodes = ctx.args.length ? ctx.args.map((n) => inspectNode(ctx.engine, n)) : ctx.engine.nodes.list();
    printTasks(
      ctx,
      nodes.flatMap((n) => ctx.engine.services.tasksOnNode(n.ID)),
    );
  },
};

export const nodeCommands: readonly Command[] = [ls, inspect, rm, create, update, ps];
