// `docker volume …`: create, ls, inspect, rm, prune.

import type { VolumeRecord } from '../../engine/index.ts';
import { NotFoundError } from '../../engine/index.ts';
import { CliError, type Command, type CommandGroup, daemonError } from '../command.ts';
import { formatList, goStruct } from '../format-template.ts';
import { humanSize } from '../humanize.ts';
import { eachTarget, filterFlag, inspectEach, LIST_FORMAT_FLAG, listFormat, objectFormat, objectFormatFlag, parseFilters } from '../output.ts';
import { confirmPrune, PRUNE_FORCE_FLAG } from '../prompt.ts';
import { parseLabels } from './container-run.ts';

export const volumeGroup: CommandGroup = { name: 'volume', short: 'Manage volumes' };

const create: Command = {
  names: ['volume create'],
  usage: '[OPTIONS] [VOLUME]',
  short: 'Create a volume',
  args: { max: 1 },
  flags: [
    { name: 'driver', short: 'd', type: 'string', default: 'local', description: 'Specify volume driver name' },
    { name: 'label', type: 'stringArray', valueName: 'list', description: 'Set metadata for a volume' },
    { name: 'name', type: 'string', hidden: true, description: 'Specify volume name' },
    { name: 'opt', short: 'o', type: 'stringArray', valueName: 'map', description: 'Set driver specific options' },
  ],
  async run(ctx) {
    const f = ctx.flags;
    if (f.has('name') && ctx.args.length) throw new CliError('conflicting options: either specify --name or provide positional arg, not both');
    const driver = f.string('driver');
    if (driver !== 'local') throw new CliError(daemonError(`create: error looking up volume plugin ${driver}: plugin "${driver}" not found`));
    if (f.strings('opt').length) throw new CliError(daemonError("create: driver options (-o) are not supported by the browser's local driver"));
    const name = ctx.args[0] ?? (f.has('name') ? f.string('name') : undefined);
    const labels = parseLabels(f.strings('label'));
    const v = await ctx.engine.volumes.create({ ...(name !== undefined ? { name } : {}), labels });
    ctx.out(v.Name);
  },
};

const VOLUME_HEADERS = {
  Availability: 'AVAILABILITY',
  Driver: 'DRIVER',
  Group: 'GROUP',
  Labels: 'LABELS',
  Links: 'LINKS',
  Mountpoint: 'MOUNTPOINT',
  Name: 'VOLUME NAME',
  Scope: 'SCOPE',
  Size: 'SIZE',
  Status: 'STATUS',
};

function volumeRow(v: VolumeRecord): object {
  return goStruct(
    {
      Availability: 'N/A',
      Driver: v.Driver,
      Group: 'N/A',
      Labels: Object.keys(v.Labels)
        .sort()
        .map((k) => `${k}=${v.Labels[k]}`)
        .join(','),
      Links: 'N/A',
      Mountpoint: v.Mountpoint,
      Name: v.Name,
      Scope: v.Scope,
      Size: 'N/A',
      Status: 'N/A',
    },
    '*formatter.volumeContext',
  );
}

const ls: Command = {
  names: ['volume ls', 'volume list'],
  usage: '[OPTIONS]',
  short: 'List volumes',
  args: 'none',
  flags: [filterFlag(), LIST_FORMAT_FLAG, { name: 'quiet', short: 'q', type: 'bool', description: 'Only display volume names' }],
  async run(ctx) {
    const filters = parseFilters(ctx.flags.strings('filter'), ['dangling', 'driver', 'label', 'name']);
    const dangling = filters.get('dangling')?.map((v) => v.toLowerCase());
    for (const d of dangling ?? []) if (!['true', 'false', '1', '0'].includes(d)) throw new Error(`invalid filter 'dangling=${d}'`);
    let volumes = await ctx.engine.volumes.list(dangling?.length === 1 ? { dangling: dangling[0] === 'true' || dangling[0] === '1' } : {});
    const any = (key: string, test: (v: string) => boolean) => !filters.has(key) || filters.get(key)!.some(test);
    volumes = volumes.filter(
      (v) =>
        any('name', (n) => v.Name.includes(n)) &&
        any('driver', (d) => v.Driver === d) &&
        (filters.get('label') ?? []).every((l) => {
          const eq = l.indexOf('=');
          return eq < 0 ? l in v.Labels : v.Labels[l.slice(0, eq)] === l.slice(eq + 1);
        }),
    );
    volumes.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    const format = listFormat(ctx.flags, { table: 'table {{.Driver}}\t{{.Name}}', quiet: '{{.Name}}' });
    ctx.io.stdout(formatList(format, volumes.map(volumeRow), VOLUME_HEADERS));
  },
};

const inspect: Command = {
  names: ['volume inspect'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  short: 'Display detailed information on one or more volumes',
  args: { min: 1 },
  flags: [objectFormatFlag(true)],
  async run(ctx) {
    await inspectEach(ctx.args, (n) => ctx.engine.volumes.inspect(n), objectFormat(ctx.flags), ctx.io.stdout);
  },
};

const rm: Command = {
  names: ['volume rm', 'volume remove'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  short: 'Remove one or more volumes',
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the removal of one or more volumes' }],
  async run(ctx) {
    const force = ctx.flags.bool('force');
    await eachTarget(ctx, ctx.args, async (name) => {
      try {
        await ctx.engine.volumes.remove(name, { force });
      } catch (e) {
        // As docker: forcing the removal of a volume that is not there is no error.
        if (!(force && e instanceof NotFoundError)) throw e;
      }
    });
  },
};

const prune: Command = {
  names: ['volume prune'],
  usage: '[OPTIONS]',
  short: 'Remove unused local volumes',
  args: 'none',
  flags: [{ name: 'all', short: 'a', type: 'bool', description: 'Remove all unused volumes, not just anonymous ones' }, PRUNE_FORCE_FLAG],
  async run(ctx) {
    const all = ctx.flags.bool('all');
    const warning = all
      ? 'WARNING! This will remove all local volumes not used by at least one container.'
      : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
    if (!(await confirmPrune(ctx, warning))) return 0;
    const report = await ctx.engine.volumes.prune({ all });
    if (report.VolumesDeleted.length) ctx.out(`Deleted Volumes:\n${report.VolumesDeleted.join('\n')}\n`);
    ctx.out(`Total reclaimed space: ${humanSize(report.SpaceReclaimed)}`);
  },
};

export const volumeCommands: readonly Command[] = [create, ls, inspect, rm, prune];
