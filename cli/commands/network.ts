// `docker network …`: create, ls, inspect, rm, connect, disconnect, prune.

import type { NetworkRecord } from '../../engine/index.ts';
import { NotFoundError } from '../../engine/index.ts';
import { CliError, type Command, type CommandGroup, daemonError } from '../command.ts';
import { formatList, goStruct } from '../format-template.ts';
import { goTimeString } from '../humanize.ts';
import { eachTarget, filterFlag, inspectEach, LIST_FORMAT_FLAG, listFormat, objectFormat, objectFormatFlag, parseFilters } from '../output.ts';
import { confirmPrune, PRUNE_FORCE_FLAG } from '../prompt.ts';
import { parseLabels } from './container-run.ts';

export const networkGroup: CommandGroup = { name: 'network', short: 'Manage networks' };

/** `-o k=v` pairs, as docker's map options. */
function parseOptions(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) throw new CliError(`invalid argument "${v}" for "-o, --opt" flag: bad format for key-value pair: ${v}`, 125);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** One of a repeatable flag: docker accepts several subnets; one pool per network here. */
function single(values: readonly string[], flag: string): string | undefined {
  if (values.length > 1) throw new CliError(daemonError(`only one --${flag} per network is supported in the browser`));
  return values[0];
}

const create: Command = {
  names: ['network create'],
  usage: '[OPTIONS] NETWORK',
  short: 'Create a network',
  args: { exactly: 1 },
  flags: [
    { name: 'attachable', type: 'bool', description: 'Enable manual container attachment' },
    { name: 'driver', short: 'd', type: 'string', default: 'bridge', description: 'Driver to manage the Network' },
    { name: 'gateway', type: 'stringArray', valueName: 'strings', description: 'IPv4 or IPv6 Gateway for the master subnet' },
    { name: 'internal', type: 'bool', description: 'Restrict external access to the network' },
    { name: 'ip-range', type: 'stringArray', valueName: 'strings', description: 'Allocate container ip from a sub-range' },
    { name: 'ipv6', type: 'bool', description: 'Enable or disable IPv6 networking' },
    { name: 'label', type: 'stringArray', valueName: 'list', description: 'Set metadata on a network' },
    { name: 'opt', short: 'o', type: 'stringArray', valueName: 'map', description: 'Set driver specific options' },
    { name: 'subnet', type: 'stringArray', valueName: 'strings', description: 'Subnet in CIDR format that represents a network segment' },
  ],
  async run(ctx) {
    const f = ctx.flags;
    if (f.bool('ipv6')) throw new CliError(daemonError('IPv6 networks are not supported in the browser'));
    const subnet = single(f.strings('subnet'), 'subnet');
    const gateway = single(f.strings('gateway'), 'gateway');
    const ipRange = single(f.strings('ip-range'), 'ip-range');
    const r = await ctx.engine.networks.create({
      name: ctx.args[0]!,
      driver: f.string('driver'),
      ...(subnet !== undefined ? { subnet } : {}),
      ...(gateway !== undefined ? { gateway } : {}),
      ...(ipRange !== undefined ? { ipRange } : {}),
      internal: f.bool('internal'),
      attachable: f.bool('attachable'),
      labels: parseLabels(f.strings('label')),
      options: parseOptions(f.strings('opt')),
    });
    ctx.out(r.Id);
  },
};

const NETWORK_HEADERS = {
  CreatedAt: 'CREATED AT',
  Driver: 'DRIVER',
  ID: 'NETWORK ID',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  Name: 'NAME',
  Scope: 'SCOPE',
};

function networkRow(n: NetworkRecord, trunc: boolean): object {
  return goStruct(
    {
      CreatedAt: goTimeString(Math.floor(Date.parse(n.Created) / 1000)),
      Driver: n.Driver,
      ID: trunc ? n.Id.slice(0, 12) : n.Id,
      IPv6: String(n.EnableIPv6),
      Internal: String(n.Internal),
      Labels: Object.keys(n.Labels)
        .sort()
        .map((k) => `${k}=${n.Labels[k]}`)
        .join(','),
      Name: n.Name,
      Scope: n.Scope,
    },
    '*formatter.networkContext',
  );
}

const FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'];

const ls: Command = {
  names: ['network ls', 'network list'],
  usage: '[OPTIONS]',
  short: 'List networks',
  args: 'none',
  flags: [
    filterFlag(),
    LIST_FORMAT_FLAG,
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display network IDs' },
  ],
  async run(ctx) {
    const filters = Object.fromEntries(parseFilters(ctx.flags.strings('filter'), FILTERS));
    const networks = ctx.engine.networks.list(filters);
    const format = listFormat(ctx.flags, { table: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}', quiet: '{{.ID}}' });
    const trunc = !ctx.flags.bool('no-trunc');
    ctx.io.stdout(
      formatList(
        format,
        networks.map((n) => networkRow(n, trunc)),
        NETWORK_HEADERS,
      ),
    );
  },
};

const inspect: Command = {
  names: ['network inspect'],
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  short: 'Display detailed information on one or more networks',
  args: { min: 1 },
  flags: [objectFormatFlag(true), { name: 'verbose', short: 'v', type: 'bool', description: 'Verbose output for diagnostics' }],
  async run(ctx) {
    await inspectEach(ctx.args, async (n) => ctx.engine.networks.inspect(n), objectFormat(ctx.flags), ctx.io.stdout);
  },
};

const rm: Command = {
  names: ['network rm', 'network remove'],
  usage: 'NETWORK [NETWORK...]',
  short: 'Remove one or more networks',
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Do not error if the network does not exist' }],
  async run(ctx) {
    const force = ctx.flags.bool('force');
    await eachTarget(ctx, ctx.args, async (name) => {
      try {
        await ctx.engine.networks.remove(name);
      } catch (e) {
        if (!(force && e instanceof NotFoundError)) throw e;
      }
    });
  },
};

const connect: Command = {
  names: ['network connect'],
  usage: '[OPTIONS] NETWORK CONTAINER',
  short: 'Connect a container to a network',
  args: { exactly: 2 },
  flags: [
    { name: 'alias', type: 'stringArray', valueName: 'strings', description: 'Add network-scoped alias for the container' },
    { name: 'ip', type: 'string', description: 'IPv4 address (e.g., "172.30.100.104")' },
  ],
  async run(ctx) {
    const [network, container] = ctx.args as [string, string];
    const ip = ctx.flags.has('ip') ? ctx.flags.string('ip') : undefined;
    await ctx.engine.networks.connect(network, container, { aliases: ctx.flags.strings('alias'), ...(ip !== undefined ? { ip } : {}) });
  },
};

const disconnect: Command = {
  names: ['network disconnect'],
  usage: '[OPTIONS] NETWORK CONTAINER',
  short: 'Disconnect a container from a network',
  args: { exactly: 2 },
  // -f clears endpoints a daemon lost track of; the engine's books never hold such a stale one.
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the container to disconnect from a network' }],
  async run(ctx) {
    const [network, container] = ctx.args as [string, string];
    await ctx.engine.networks.disconnect(network, container);
  },
};

const prune: Command = {
  names: ['network prune'],
  usage: '[OPTIONS]',
  short: 'Remove all unused networks',
  args: 'none',
  flags: [PRUNE_FORCE_FLAG],
  async run(ctx) {
    if (!(await confirmPrune(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))) return 0;
    const report = await ctx.engine.networks.prune();
    if (report.NetworksDeleted.length) ctx.out(`Deleted Networks:\n${report.NetworksDeleted.join('\n')}\n`);
  },
};

export const networkCommands: readonly Command[] = [create, ls, inspect, rm, connect, disconnect, prune];
