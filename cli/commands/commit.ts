// `docker commit` and `docker import`: images made from a container's writable layer, or from a
// root filesystem tarball among the host files (or at a URL).
import { CliError, type Command, type CommandContext } from '../command.ts';

const CHANGE = {
  name: 'change',
  short: 'c',
  type: 'stringArray',
  valueName: 'list',
  description: 'Apply Dockerfile instruction to the created image',
} as const;
const MESSAGE = { name: 'message', short: 'm', type: 'string', description: 'Set commit message for imported image' } as const;

const commit: Command = {
  names: ['container commit', 'commit'],
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  short: "Create a new image from a container's changes",
  args: { min: 1, max: 2 },
  flags: [
    { name: 'author', short: 'a', type: 'string', description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    CHANGE,
    { ...MESSAGE, description: 'Commit message' },
    { name: 'pause', short: 'p', type: 'bool', default: true, description: 'Pause container during commit' },
  ],
  async run(ctx) {
    const f = ctx.flags;
    const [container, tag] = ctx.args as [string, string | undefined];
    const containers = ctx.engine.containers;
    const rec = containers.inspect(container);
    // As Docker's daemon: a running container is held while its layer is read, so no write lands
    // half-way; one the user paused stays paused. Where it cannot be held (a WASI process without
    // JSPI) the layer is read while it runs, as with --pause=false.
    const paused =
      f.bool('pause') &&
      rec.State.Running &&
      !rec.State.Paused &&
      (await containers.pause(rec.Id).then(
        () => true,
        () => false,
      ));
    try {
      const image = await ctx.engine.images.commit(container, {
        ...(tag ? { tag } : {}),
        ...(f.has('author') ? { author: f.string('author') } : {}),
        ...(f.has('message') ? { comment: f.string('message') } : {}),
        changes: f.strings('change'),
      });
      ctx.out(image.id);
    } finally {
      if (paused) await containers.unpause(rec.Id).catch(() => undefined);
    }
  },
};

async function tarball(ctx: CommandContext, source: string): Promise<Uint8Array> {
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source, ctx.signal ? { signal: ctx.signal } : {});
    if (!res.ok) throw new CliError(`Error response from daemon: Get "${source}": HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  const bytes = ctx.io.files.get(source);
  if (!bytes) throw new CliError(`open ${source}: no such file or directory`);
  return bytes;
}

const imageImport: Command = {
  names: ['image import', 'import'],
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  short: 'Import the contents from a tarball to create a filesystem image',
  args: { min: 1, max: 2 },
  flags: [CHANGE, MESSAGE, { name: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable' }],
  async run(ctx) {
    const f = ctx.flags;
    const [source, tag] = ctx.args as [string, string | undefined];
    if (source === '-') throw new CliError('requested import from stdin, but stdin is empty');
    const image = await ctx.engine.images.importTarball(await tarball(ctx, source), {
      ...(tag ? { tag } : {}),
      ...(f.has('message') ? { comment: f.string('message') } : {}),
      changes: f.strings('change'),
      ...(f.has('platform') ? { platform: f.string('platform') } : {}),
    });
    ctx.out(image.id);
  },
};

export const commitCommands: readonly Command[] = [commit, imageImport];
