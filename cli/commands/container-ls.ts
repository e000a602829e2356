// `docker ps` / `docker container ls`: docker's columns, truncation, filters and templates.
import type { ContainerSummary, Engine } from '../../engine/index.ts';
import { familiarName, familiarTagged, parseReference } from '../../engine/index.ts';
import type { Command, CommandContext } from '../command.ts';
import { displayablePorts } from '../displayable-ports.ts';
import { formatList, goStruct } from '../format-template.ts';
import { ellipsis, goQuote, goTimeString, humanSize, timeAgo } from '../humanize.ts';
import { filterFlag, LIST_FORMAT_FLAG, listFormat, parseFilters } from '../output.ts';

const PS_HEADERS = {
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Labels: 'LABELS',
  LocalVolumes: 'LOCAL VOLUMES',
  Mounts: 'MOUNTS',
  Names: 'NAMES',
  Networks: 'NETWORKS',
  Node: 'NODE',
  Ports: 'PORTS',
  RunningFor: 'CREATED',
  Size: 'SIZE',
  State: 'STATE',
  Status: 'STATUS',
};

const TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
const STATES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const FILTERS = ['ancestor', 'before', 'expose', 'exited', 'id', 'label', 'name', 'network', 'node', 'publish', 'since', 'status', 'volume'];

const shortHex = (s: string) => s.replace(/^sha256:/, '').slice(0, 12);

/** docker's ContainerContext.Image: the short ID for an ID, the name without its digest. */
function imageColumn(c: ContainerSummary, trunc: boolean): string {
  if (!c.Image) return '<no image>';
  if (!trunc) return c.Image;
  if (shortHex(c.ImageID) === shortHex(c.Image)) return shortHex(c.ImageID);
  const name = c.Image.replace(/@.*$/, '');
  try {
    const ref = parseReference(name);
    return /:[^/]*$/.test(name) ? familiarTagged(ref) : familiarName(ref);
  } catch {
    return c.Image;
  }
}

/** One row of docker's ContainerContext; `size` is [rw layer, image] bytes when asked for. */
function containerRow(c: ContainerSummary, opts: { trunc: boolean; size?: [number, number] }): object {
  const { trunc } = opts;
  const size = opts.size
    ? `${humanSize(opts.size[0], 3)}${opts.size[0] + opts.size[1] > 0 ? ` (virtual ${humanSize(opts.size[0] + opts.size[1], 3)})` : ''}`
    : '0B';
  return goStruct(
    {
      Command: goQuote(trunc ? ellipsis(c.Command, 20) : c.Command),
      CreatedAt: goTimeString(c.Created),
      ID: trunc ? c.Id.slice(0, 12) : c.Id,
      Image: imageColumn(c, trunc),
      Labels: Object.keys(c.Labels)
        .sort()
        .map((k) => `${k}=${c.Labels[k]}`)
        .join(','),
      LocalVolumes: String(c.Mounts.filter((m) => m.Type === 'volume').length),
      Mounts: c.Mounts.map((m) => (trunc ? ellipsis(m.Name, 15) : m.Name)).join(','),
      Names: c.Names.map((n) => n.replace(/^\//, ''))
        .filter((n) => !n.includes('/'))
        .join(','),
      Networks: c.Networks.join(','),
      Node: c.Node,
      Ports: displayablePorts(c.Ports),
      RunningFor: timeAgo(c.Created),
      Size: size,
      State: c.State,
      Status: c.Status,
    },
    '*formatter.ContainerContext',
  );
}

/** The containers `docker ps` shows for its flags. */
async function listContainers(engine: Engine, opts: { all: boolean; limit: number; filters: readonly string[] }): Promise<ContainerSummary[]> {
  const f = parseFilters(opts.filters, FILTERS);
  for (const s of f.get('status') ?? []) if (!STATES.includes(s)) throw new Error('Unrecognised filter value for status');
  // As the daemon does: a status, before or since filter or a limit looks at stopped containers too.
  const all = opts.all || opts.limit > 0 || f.has('status') || f.has('before') || f.has('since');
  const ancestors: string[] = [];
  for (const a of f.get('ancestor') ?? []) {
    ancestors.push(a);
    try {
      ancestors.push((await engine.images.resolve(a)).id);
    } catch {
      // not a local image: matched by name only
    }
  }
  const engineFilters: Record<string, string[]> = {};
  for (const [k, v] of f) if (k !== 'before' && k !== 'since') engineFilters[k] = k === 'ancestor' ? ancestors : v;
  let rows = engine.containers.list({ all, filters: engineFilters });
  if (f.has('before') || f.has('since')) {
    const everything = engine.containers.list({ all: true });
    const position = (name: string) => everything.findIndex((c) => c.Id === engine.containers.inspect(name).Id);
    // The list is newest first: "before X" comes after X in it, "since X" before it.
    for (const b of f.get('before') ?? []) {
      const at = position(b);
      rows = rows.filter((c) => everything.findIndex((e) => e.Id === c.Id) > at);
    }
    for (const s of f.get('since') ?? []) {
      const at = position(s);
      rows = rows.filter((c) => everything.findIndex((e) => e.Id === c.Id) < at);
    }
  }
  return opts.limit > 0 ? rows.slice(0, opts.limit) : rows;
}

async function sizesOf(engine: Engine, rows: readonly ContainerSummary[]): Promise<Map<string, [number, number]>> {
  const images = new Map((await engine.images.list()).map((i) => [i.Id as string, i.Size]));
  const out = new Map<string, [number, number]>();
  for (const c of rows) out.set(c.Id, [await engine.containers.layerSize(c.Id), images.get(c.ImageID) ?? 0]);
  return out;
}

async function runPs(ctx: CommandContext): Promise<void> {
  const f = ctx.flags;
  const limit = f.bool('latest') ? 1 : f.int('last');
  const rows = await listContainers(ctx.engine, { all: f.bool('all'), limit, filters: f.strings('filter') });
  const size = f.bool('size');
  let format = listFormat(f, { table: size ? `${TABLE}\t{{.Size}}` : TABLE, quiet: '{{.ID}}' });
  if (f.bool('quiet') && f.string('format') !== '' && f.string('format') !== 'table') {
    ctx.io.stderr('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
    format = '{{.ID}}';
  }
  const sizes = size || format.includes('.Size') || format === '{{json .}}' ? await sizesOf(ctx.engine, rows) : undefined;
  const trunc = !f.bool('no-trunc');
  const items = rows.map((c) => containerRow(c, { trunc, ...(sizes ? { size: sizes.get(c.Id)! } : {}) }));
  ctx.io.stdout(formatList(format, items, PS_HEADERS));
}

const ps: Command = {
  names: ['container ls', 'container list', 'container ps', 'ps'],
  usage: '[OPTIONS]',
  short: 'List containers',
  args: 'none',
  common: 3,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
    filterFlag(),
    LIST_FORMAT_FLAG,
    { name: 'last', short: 'n', type: 'int', default: -1, description: 'Show n last created containers (includes all states)' },
    { name: 'latest', short: 'l', type: 'bool', description: 'Show the latest created container (includes all states)' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display container IDs' },
    { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
  ],
  run: runPs,
};

export const containerLsCommands: readonly Command[] = [ps];
