// `docker stack …`: a Compose file deployed as services (engine.stacks), with Docker's output.
import type { Engine } from '../../engine/index.ts';
import { loadProject, NotFoundError } from '../../engine/index.ts';
import { CliError, type Command, type CommandGroup } from '../command.ts';
import { formatList, goStruct } from '../format-template.ts';
import { eachTarget, LIST_FORMAT_FLAG } from '../output.ts';
import { printServices } from './service.ts';
import { printTasks, TASK_LIST_FLAGS } from './task-rows.ts';

export const stackGroup: CommandGroup = { name: 'stack', short: 'Manage stacks (Compose files deployed as services)' };

const decoder = new TextDecoder();

/** A stack's services, or Docker's `Nothing found in stack: NAME`. */
function servicesOf(engine: Engine, name: string) {
  try {
    return engine.stacks.servicesOf(name);
  } catch (e) {
    if (e instanceof NotFoundError) throw new CliError(e.message);
    throw e;
  }
}

const deploy: Command = {
  names: ['stack deploy', 'stack up'],
  usage: '[OPTIONS] STACK',
  short: 'Deploy a new stack or update an existing stack',
  args: { exactly: 1 },
  flags: [
    { name: 'compose-file', short: 'c', type: 'stringArray', valueName: 'strings', description: 'Path to a Compose file' },
    { name: 'detach', short: 'd', type: 'bool', default: true, description: 'Exit immediately instead of waiting for the stack services to converge' },
  ],
  async run(ctx) {
    const files = ctx.flags.strings('compose-file').map((p) => p.replace(/^(\.\/)+/, ''));
    if (!files.length) throw new CliError('Please specify a Compose file (with --compose-file).');
    const host = ctx.io.files;
    const { project, warnings } = await loadProject(
      { readFile: (p) => (host.get(p) === undefined ? undefined : decoder.decode(host.get(p))) },
      { files, projectName: ctx.args[0]!, projectDirectory: '/project' },
    );
    for (const w of warnings) ctx.io.stderr(`${w}\n`);
    await ctx.engine.stacks.deploy(ctx.args[0]!, project, (step) => ctx.out(step));
  },
};

const ls: Command = {
  names: ['stack ls', 'stack list'],
  usage: '[OPTIONS]',
  short: 'List stacks',
  args: 'none',
  flags: [LIST_FORMAT_FLAG],
  async run(ctx) {
    const rows = ctx.engine.stacks.list().map((s) => goStruct({ Name: s.name, Services: String(s.services) }, '*formatter.stackContext'));
    // `stack ls` has no -q: the format is the table, JSON or the template given.
    const f = ctx.flags.string('format');
    const format = f === '' || f === 'table' ? 'table {{.Name}}\t{{.Services}}' : f === 'json' ? '{{json .}}' : f;
    ctx.io.stdout(formatList(format, rows, { Name: 'NAME', Services: 'SERVICES' }));
  },
};

const services: Command = {
  names: ['stack services'],
  usage: '[OPTIONS] STACK',
  short: 'List the services in the stack',
  args: { exactly: 1 },
  flags: [LIST_FORMAT_FLAG, { name: 'quiet', short: 'q', type: 'bool', description: 'Only display IDs' }],
  async run(ctx) {
    printServices(ctx, servicesOf(ctx.engine, ctx.args[0]!));
  },
};

const ps: Command = {
  names: ['stack ps'],
  usage: '[OPTIONS] STACK',
  short: 'List the tasks in the stack',
  args: { exactly: 1 },
  flags: TASK_LIST_FLAGS,
  async run(ctx) {
    printTasks(
      ctx,
      servicesOf(ctx.engine, ctx.args[0]!).flatMap((s) => ctx.engine.services.tasks(s.ID)),
    );
  },
};

const rm: Command = {
  names: ['stack rm', 'stack remove', 'stack down'],
  usage: 'STACK [STACK...]',
  short: 'Remove one or more stacks',
  args: { min: 1 },
  flags: [],
  async run(ctx) {
    await eachTarget(
      ctx,
      ctx.args,
      async (name) => {
        servicesOf(ctx.engine, name);
        for (const line of await ctx.engine.stacks.remove(name)) ctx.out(line);
      },
      { quiet: true },
    );
  },
};

export const stackCommands: readonly Command[] = [deploy, ls, services, ps, rm];
