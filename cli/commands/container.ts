// `docker container …` lifecycle and inspection commands: stop, kill, restart, rm, wait, rename,
// pause, unpause, prune, diff, top, inspect. (run/create/start/attach, exec, ls, logs and cp have
// files of their own.)
import type { Engine } from '../../engine/index.ts';
import { NotFoundError } from '../../engine/index.ts';
import { watchExit } from '../attach.ts';
import { CliError, type Command, type CommandGroup, daemonError } from '../command.ts';
import type { FlagSpec, Flags } from '../flags.ts';
import { humanSize } from '../humanize.ts';
import { eachTarget, inspectEach, objectFormat, objectFormatFlag } from '../output.ts';
import { confirmPrune, PRUNE_FORCE_FLAG } from '../prompt.ts';
import { alignColumns } from '../table.ts';

export const containerGroup: CommandGroup = { name: 'container', short: 'Manage containers' };

const STOP_FLAGS: readonly FlagSpec[] = [
  { name: 'signal', short: 's', type: 'string', description: 'Signal to send to the container' },
  { name: 'timeout', short: 't', type: 'int', description: 'Seconds to wait before killing the container' },
  { name: 'time', type: 'int', hidden: true, description: 'Seconds to wait before killing the container (deprecated: use --timeout)' },
];

function stopOptions(flags: Flags): { timeout?: number; signal?: string } {
  return {
    ...(flags.has('timeout') ? { timeout: flags.int('timeout') } : flags.has('time') ? { timeout: flags.int('time') } : {}),
    ...(flags.has('signal') ? { signal: flags.string('signal') } : {}),
  };
}

const stop: Command = {
  names: ['container stop', 'stop'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Stop one or more running containers',
  args: { min: 1 },
  flags: STOP_FLAGS,
  async run(ctx) {
    const opts = stopOptions(ctx.flags);
    await eachTarget(ctx, ctx.args, (name) => ctx.engine.containers.stop(name, opts));
  },
};

const restart: Command = {
  names: ['container restart', 'restart'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Restart one or more containers',
  args: { min: 1 },
  flags: STOP_FLAGS,
  async run(ctx) {
    const { timeout } = stopOptions(ctx.flags);
    await eachTarget(ctx, ctx.args, (name) => ctx.engine.containers.restart(name, timeout === undefined ? {} : { timeout }));
  },
};

const kill: Command = {
  names: ['container kill', 'kill'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Kill one or more running containers',
  args: { min: 1 },
  flags: [{ name: 'signal', short: 's', type: 'string', description: 'Signal to send to the container' }],
  async run(ctx) {
    const signal = ctx.flags.string('signal') || 'SIGKILL';
    await eachTarget(ctx, ctx.args, (name) => ctx.engine.containers.kill(name, signal));
  },
};

const rm: Command = {
  names: ['container rm', 'container remove', 'rm'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Remove one or more containers',
  args: { min: 1 },
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'volumes', short: 'v', type: 'bool', description: 'Remove anonymous volumes associated with the container' },
  ],
  async run(ctx) {
    const opts = { force: ctx.flags.bool('force'), volumes: ctx.flags.bool('volumes') };
    await eachTarget(ctx, ctx.args, (name) => ctx.engine.containers.remove(name, opts));
  },
};

/**
 * A container's exit status once it is not running. Read from its record and the `die` event
 * (subscribed in the same tick as the record is read, so none is missed), which stay in step
 * even while the engine is still recording an exit.
 */
function exitStatus(engine: Engine, name: string, signal: AbortSignal | undefined): Promise<number> {
  const rec = engine.containers.inspect(name);
  if (!rec.State.Running && !rec.State.Restarting) return Promise.resolve(rec.State.ExitCode);
  const watch = watchExit(engine, rec.Id);
  return new Promise<number>((resolve, reject) => {
    const onAbort = () => {
      watch.cancel();
      reject(new Error('interrupted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    void watch.exited.then((r) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(r.code);
    });
  });
}

const wait: Command = {
  names: ['container wait', 'wait'],
  usage: 'CONTAINER [CONTAINER...]',
  short: 'Block until one or more containers stop, then print their exit codes',
  args: { min: 1 },
  flags: [],
  async run(ctx) {
    const errors: string[] = [];
    for (const name of ctx.args) {
      try {
        ctx.out(String(await exitStatus(ctx.engine, name, ctx.signal)));
      } catch (e) {
        if (ctx.signal?.aborted) throw e;
        errors.push(daemonError(e));
      }
    }
    if (errors.length) throw new CliError(errors.join('\n'));
  },
};

const rename: Command = {
  names: ['container rename', 'rename'],
  usage: 'CONTAINER NEW_NAME',
  short: 'Rename a container',
  args: { exactly: 2 },
  flags: [],
  async run(ctx) {
    const [from, to] = ctx.args as [string, string];
    if (!to.trim()) throw new CliError('Error: neither old nor new names may be empty');
    await ctx.engine.containers.rename(from, to);
  },
};

const pause: Command = {
  names: ['container pause', 'pause'],
  usage: 'CONTAINER [CONTAINER...]',
  short: 'Pause all processes within one or more containers',
  args: { min: 1 },
  flags: [],
  async run(ctx) {
    await eachTarget(ctx, ctx.args, (name) => ctx.engine.containers.pause(name));
  },
};

const unpause: Command = {
  names: ['container unpause', 'unpause'],
  usage: 'CONTAINER [CONTAINER...]',
  short: 'Unpause all processes within one or more containers',
  args: { min: 1 },
  flags: [],
  async run(ctx) {
    await eachTarget(ctx, ctx.args, (name) => ctx.engine.containers.unpause(name));
  },
};

const prune: Command = {
  names: ['container prune'],
  usage: '[OPTIONS]',
  short: 'Remove all stopped containers',
  args: 'none',
  flags: [PRUNE_FORCE_FLAG],
  async run(ctx) {
    if (!(await confirmPrune(ctx, 'WARNING! This will remove all stopped containers.'))) return 0;
    const report = await ctx.engine.containers.prune();
    if (report.ContainersDeleted.length) ctx.out(`Deleted Containers:\n${report.ContainersDeleted.join('\n')}\n`);
    ctx.out(`Total reclaimed space: ${humanSize(report.SpaceReclaimed)}`);
  },
};

const CHANGE = ['C', 'A', 'D'] as const;

const diff: Command = {
  names: ['container diff', 'diff'],
  usage: 'CONTAINER',
  short: "Inspect changes to files or directories on a container's filesystem",
  args: { exactly: 1 },
  flags: [],
  async run(ctx) {
    for (const c of await ctx.engine.containers.diff(ctx.args[0]!)) ctx.out(`${CHANGE[c.Kind]} ${c.Path}`);
  },
};

const top: Command = {
  names: ['container top', 'top'],
  usage: 'CONTAINER [ps OPTIONS]',
  short: 'Display the running processes of a container',
  args: { min: 1 },
  interspersed: false,
  flags: [],
  async run(ctx) {
    const t = await ctx.engine.containers.top(ctx.args[0]!);
    const text = [t.Titles, ...t.Processes].map((row) => `${row.join('\t')}\n`).join('');
    ctx.io.stdout(alignColumns(text, { minWidth: 20, padding: 3 }));
  },
};

/** `docker container inspect`'s document, with the sizes `--size` asks for. */
export async function inspectContainer(engine: Engine, name: string, size: boolean): Promise<object> {
  const rec = engine.containers.inspect(name);
  if (!size) return rec;
  const rw = await engine.containers.layerSize(rec.Id);
  const image = (await engine.images.list()).find((i) => i.Id === rec.Image);
  return { ...rec, SizeRw: rw, SizeRootFs: rw + (image?.Size ?? 0) };
}

const inspect: Command = {
  names: ['container inspect'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Display detailed information on one or more containers',
  args: { min: 1 },
  flags: [objectFormatFlag(true), { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' }],
  async run(ctx) {
    const size = ctx.flags.bool('size');
    await inspectEach(
      ctx.args,
      async (n) => {
        try {
          return await inspectContainer(ctx.engine, n, size);
        } catch (e) {
          if (e instanceof NotFoundError) throw new CliError(`Error: No such container: ${n}`);
          throw e;
        }
      },
      objectFormat(ctx.flags),
      ctx.io.stdout,
    );
  },
};

export const containerCommands: readonly Command[] = [stop, restart, kill, rm, wait, rename, pause, unpause, prune, diff, top, inspect];
