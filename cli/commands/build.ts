// `docker build` / `docker buildx build` and `docker builder prune`. The context is a directory of
// the host files, a tar among them, or the URL of a tar; progress is BuildKit's (cli/build-progress.ts):
// redrawn on a terminal, plain elsewhere or with --progress=plain.
import type { BuildContext, BuildProgress } from '../../engine/index.ts';
import { buildContext, buildContextFromTar } from '../../engine/index.ts';
import { plainProgress, rawJsonProgress, TtyBuildProgress } from '../build-progress.ts';
import { CliError, type Command, type CommandContext, type CommandGroup } from '../command.ts';
import type { FlagSpec } from '../flags.ts';
import { humanSize } from '../humanize.ts';
import { confirmPrune, PRUNE_FORCE_FLAG } from '../prompt.ts';
import { parseLabels } from './container-run.ts';

export const builderGroup: CommandGroup = { name: 'builder', short: 'Manage builds' };
export const buildxGroup: CommandGroup = { name: 'buildx', short: 'Docker Buildx' };

const BUILD_FLAGS: readonly FlagSpec[] = [
  { name: 'build-arg', type: 'stringArray', valueName: 'stringArray', description: 'Set build-time variables' },
  { name: 'file', short: 'f', type: 'string', valueName: 'string', description: 'Name of the Dockerfile (default: "PATH/Dockerfile")' },
  { name: 'iidfile', type: 'string', valueName: 'string', description: 'Write the image ID to a file' },
  { name: 'label', type: 'stringArray', valueName: 'stringArray', description: 'Set metadata for an image' },
  { name: 'no-cache', type: 'bool', description: 'Do not use cache when building the image' },
  { name: 'platform', type: 'string', valueName: 'string', description: 'Set target platform for build' },
  { name: 'progress', type: 'string', default: 'auto', description: 'Set type of progress output ("auto", "quiet", "plain", "tty", "rawjson")' },
  { name: 'pull', type: 'bool', description: 'Always attempt to pull all referenced images' },
  { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the build output and print image ID on success' },
  { name: 'tag', short: 't', type: 'stringArray', valueName: 'stringArray', description: 'Name and optionally a tag (format: "name:tag")' },
  { name: 'target', type: 'string', valueName: 'string', description: 'Set the target build stage to build' },
];

const strip = (p: string) => p.replace(/^(\.\/)+/, '').replace(/\/+$/, '');

/** The context the PATH | URL argument names, and the Dockerfile's path inside it. */
async function loadContext(
  ctx: CommandContext,
  where: string,
  file: string | undefined,
): Promise<{ context: BuildContext; dockerfile: string; text?: string }> {
  const host = ctx.io.files;
  if (/^https?:\/\//.test(where)) {
    const res = await fetch(where, ctx.signal ? { signal: ctx.signal } : {});
    if (!res.ok) throw new CliError(`ERROR: failed to build: unable to prepare context: unable to download remote context ${where}: HTTP ${res.status}`);
    const dockerfile = file ?? 'Dockerfile';
    return { context: await buildContextFromTar(new Uint8Array(await res.arrayBuffer()), dockerfile), dockerfile };
  }
  const dir = strip(where) === '.' ? '' : strip(where);
  const asFile = host.get(dir);
  if (asFile && !host.isDir(dir)) {
    const dockerfile = file ?? 'Dockerfile';
    return { context: await buildContextFromTar(asFile, dockerfile), dockerfile };
  }
  if (!host.isDir(dir)) throw new CliError(`ERROR: failed to build: unable to prepare context: path "${where}" not found`);
  const files = host.under(dir).map((rel) => [rel, host.get(dir ? `${dir}/${rel}` : rel)!] as const);
  // `-f` is a host path; inside the context it is read from the context, as Docker does.
  const f = file === undefined ? undefined : strip(file);
  const inside = f === undefined ? 'Dockerfile' : dir && f.startsWith(`${dir}/`) ? f.slice(dir.length + 1) : dir ? undefined : f;
  if (inside !== undefined) return { context: buildContext(files, inside), dockerfile: inside };
  const text = host.get(f!);
  if (!text) throw new CliError(`ERROR: failed to build: failed to read dockerfile: open ${file}: no such file or directory`);
  return { context: buildContext(files), dockerfile: f!, text: new TextDecoder().decode(text) };
}

async function runBuild(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const where = ctx.args[0]!;
  const progress = f.string('progress');
  if (!['auto', 'plain', 'tty', 'quiet', 'rawjson'].includes(progress)) throw new CliError(`ERROR: failed to build: invalid progress mode "${progress}"`);
  const quiet = f.bool('quiet') || progress === 'quiet';
  const buildArgs: Record<string, string> = {};
  // `--build-arg NAME` takes the client's variable; a browser has no environment.
  for (const a of f.strings('build-arg')) if (a.includes('=')) buildArgs[a.slice(0, a.indexOf('='))] = a.slice(a.indexOf('=') + 1);
  const { context, dockerfile, text } = await loadContext(ctx, where, f.has('file') ? f.string('file') : undefined);
  const tags = f.strings('tag');
  const tty = !quiet && (progress === 'tty' || (progress === 'auto' && ctx.io.isTTY)) ? new TtyBuildProgress(ctx.io.stderr, ctx.io.columns) : undefined;
  const onProgress: ((p: BuildProgress) => void) | undefined = quiet
    ? undefined
    : (tty?.onProgress ?? (progress === 'rawjson' ? rawJsonProgress(ctx.io.stderr) : plainProgress(ctx.io.stderr)));
  try {
    const result = await ctx.engine.images.build({
      context,
      dockerfile,
      ...(text !== undefined ? { dockerfileText: text } : {}),
      tags,
      buildArgs,
      ...(f.has('target') ? { target: f.string('target') } : {}),
      noCache: f.bool('no-cache'),
      pull: f.bool('pull'),
      ...(f.has('platform') ? { platform: f.string('platform') } : {}),
      ...(f.strings('label').length ? { labels: parseLabels(f.strings('label')) } : {}),
      ...(onProgress ? { onProgress } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    tty?.finish();
    for (const w of result.warnings) ctx.io.stderr(`${w}\n`);
    if (f.has('iidfile')) ctx.io.files.set(f.string('iidfile'), new TextEncoder().encode(result.id));
    if (quiet) ctx.out(result.id);
    return 0;
  } catch (e) {
    tty?.finish();
    if (ctx.signal?.aborted) throw e;
    ctx.io.stderr(`ERROR: failed to build: failed to solve: ${(e as Error).message}\n`);
    return 1;
  }
}

const build: Command = {
  names: ['buildx build', 'build', 'builder build', 'image build'],
  usage: '[OPTIONS] PATH | URL',
  short: 'Start a build',
  args: { exactly: 1 },
  common: 4,
  flags: BUILD_FLAGS,
  run: runBuild,
};

const prune: Command = {
  names: ['builder prune', 'buildx prune'],
  usage: '[OPTIONS]',
  short: 'Remove build cache',
  args: 'none',
  flags: [{ name: 'all', short: 'a', type: 'bool', description: 'Remove all unused build cache, not just dangling ones' }, PRUNE_FORCE_FLAG],
  async run(ctx) {
    if (!(await confirmPrune(ctx, 'WARNING! This will remove all dangling build cache.'))) return 0;
    const r = await ctx.engine.images.pruneBuildCache();
    ctx.out(`Total:\t${humanSize(r.SpaceReclaimed)}`);
  },
};

export const buildCommands: readonly Command[] = [build, prune];
