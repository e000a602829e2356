// `docker inspect`: any object by name or ID. Each object kind registers how to look itself up;
// kinds are tried in order (docker: container, image, network, volume…; then our nodes) until one
// has the name.
import type { Engine } from '../../engine/index.ts';
import { NotFoundError } from '../../engine/index.ts';
import { CliError, type Command } from '../command.ts';
import { inspectEach, objectFormat, objectFormatFlag } from '../output.ts';
import { inspectContainer } from './container.ts';

interface ObjectInspector {
  readonly type: string;
  /** The object's inspect document; throws NotFoundError when there is none by that name. */
  inspect(engine: Engine, name: string, size: boolean): Promise<unknown>;
}

const objectInspectors: readonly ObjectInspector[] = [
  { type: 'container', inspect: (engine, name, size) => inspectContainer(engine, name, size) },
  { type: 'image', inspect: (engine, name) => engine.images.inspect(name) },
  { type: 'network', inspect: async (engine, name) => engine.networks.inspect(name) },
  { type: 'volume', inspect: (engine, name) => engine.volumes.inspect(name) },
  { type: 'node', inspect: async (engine, name) => engine.nodes.inspect(name) },
];

async function inspectObject(engine: Engine, name: string, type: string, size: boolean): Promise<unknown> {
  for (const i of objectInspectors) {
    if (type && i.type !== type) continue;
    try {
      return await i.inspect(engine, name, size);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  throw new CliError(`Error: No such ${type || 'object'}: ${name}`);
}

const inspect: Command = {
  names: ['inspect'],
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  short: 'Return low-level information on Docker objects',
  args: { min: 1 },
  flags: [
    objectFormatFlag(true),
    { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes if the type is container' },
    { name: 'type', type: 'string', description: 'Only inspect objects of the given type' },
  ],
  async run(ctx) {
    const type = ctx.flags.string('type');
    if (type && !objectInspectors.some((i) => i.type === type)) throw new CliError(`"${type}" is not a valid value for --type`);
    const size = ctx.flags.bool('size');
    await inspectEach(ctx.args, (n) => inspectObject(ctx.engine, n, type, size), objectFormat(ctx.flags), ctx.io.stdout);
  },
};

export const inspectCommands: readonly Command[] = [inspect];
