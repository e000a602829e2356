// `docker run`, `create`, `start` and `attach`: the commands that make a container and connect the
// terminal to it. Failures read as docker's do: `docker: Error response from daemon: ….` with
// exit 125 for the engine and the flags, 126 when the command cannot run, 127 when it is missing;
// otherwise the status is the container's own.

import type { CreateOptions } from '../../engine/index.ts';
import {
  CannotRunError,
  CommandNotFoundError,
  familiarTagged,
  hasKernelTerminal,
  NotFoundError,
  parseExpose,
  parseGoDuration,
  parsePublish,
  parseReference,
} from '../../engine/index.ts';
import { AttachSession, watchExit } from '../attach.ts';
import { CliError, type Command, type CommandContext, daemonError } from '../command.ts';
import type { FlagSpec } from '../flags.ts';
import { eachTarget } from '../output.ts';
import { pullImage } from './image.ts';

/** Exit status after detaching with Ctrl-C, as a shell reports a client ended by SIGINT. */
const DETACHED = 130;

/** docker's reportError: `docker: MESSAGE.`, and for usage problems where the help is. */
function reportError(cmd: string, message: string, withHelp: boolean, code: number): CliError {
  return new CliError(`docker: ${message.replace(/\.$/, '')}.${withHelp ? `\nSee 'docker ${cmd} --help'.` : ''}`, code);
}

/** Docker's exit statuses for a container that could not start: 127 missing, 126 not runnable. */
function startFailure(cmd: string, e: unknown): CliError {
  const code = e instanceof CommandNotFoundError ? 127 : e instanceof CannotRunError ? 126 : 125;
  return reportError(cmd, daemonError(e), false, code);
}

const MEMORY_RE = /^\d+(\.\d+)?\s*[bkmg]?b?$/i;

const CREATE_FLAGS: readonly FlagSpec[] = [
  { name: 'constraint', type: 'stringArray', valueName: 'list', description: 'Placement constraints (node.name==NAME, node.labels.KEY==VALUE)' },
  { name: 'entrypoint', type: 'string', description: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'env', short: 'e', type: 'stringArray', valueName: 'list', description: 'Set environment variables' },
  { name: 'env-file', type: 'stringArray', valueName: 'list', description: 'Read in a file of environment variables' },
  { name: 'expose', type: 'stringArray', valueName: 'list', description: 'Expose a port or a range of ports' },
  { name: 'health-cmd', type: 'string', description: 'Command to run to check health' },
  {
    name: 'health-interval',
    type: 'string',
    valueName: 'duration',
    description: 'Time between running the check (ms|s|m|h) (default 0s)',
    check: checkDuration,
  },
  { name: 'health-retries', type: 'int', description: 'Consecutive failures needed to report unhealthy' },
  {
    name: 'health-start-interval',
    type: 'string',
    valueName: 'duration',
    description: 'Time between running the check during the start period (ms|s|m|h) (default 0s)',
    check: checkDuration,
  },
  {
    name: 'health-start-period',
    type: 'string',
    valueName: 'duration',
    description: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)',
    check: checkDuration,
  },
  {
    name: 'health-timeout',
    type: 'string',
    valueName: 'duration',
    description: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)',
    check: checkDuration,
  },
  { name: 'hostname', short: 'h', type: 'string', description: 'Container host name' },
  { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
  { name: 'ip', type: 'string', description: 'IPv4 address (e.g., 172.30.100.104)' },
  { name: 'label', short: 'l', type: 'stringArray', valueName: 'list', description: 'Set meta data on a container' },
  {
    name: 'memory',
    short: 'm',
    type: 'string',
    valueName: 'bytes',
    description: 'Memory limit',
    check: (raw) => (MEMORY_RE.test(raw.trim()) ? undefined : `invalid size: '${raw}'`),
  },
  { name: 'mount', type: 'stringArray', valueName: 'mount', description: 'Attach a filesystem mount to the container' },
  { name: 'name', type: 'string', description: 'Assign a name to the container' },
  { name: 'net', type: 'string', hidden: true, description: 'Connect a container to a network' },
  { name: 'net-alias', type: 'stringArray', hidden: true, description: 'Add network-scoped alias for the container' },
  { name: 'network', type: 'string', valueName: 'network', description: 'Connect a container to a network' },
  { name: 'no-healthcheck', type: 'bool', description: 'Disable any container-specified HEALTHCHECK' },
  { name: 'network-alias', type: 'stringArray', valueName: 'list', description: 'Add network-scoped alias for the container' },
  { name: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable' },
  { name: 'publish', short: 'p', type: 'stringArray', valueName: 'list', description: "Publish a container's port(s) to the host" },
  { name: 'publish-all', short: 'P', type: 'bool', description: 'Publish all exposed ports to random ports' },
  { name: 'pull', type: 'string', default: 'missing', description: 'Pull image before running ("always", "missing", "never")' },
  { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the pull output' },
  { name: 'restart', type: 'string', default: 'no', description: 'Restart policy to apply when a container exits' },
  { name: 'rm', type: 'bool', description: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { name: 'stop-signal', type: 'string', description: 'Signal to stop the container' },
  { name: 'stop-timeout', type: 'int', description: 'Timeout (in seconds) to stop a container' },
  { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
  { name: 'user', short: 'u', type: 'string', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'volume', short: 'v', type: 'stringArray', valueName: 'list', description: 'Bind mount a volume' },
  { name: 'workdir', short: 'w', type: 'string', description: 'Working directory inside the container' },
];

const RUN_FLAGS: readonly FlagSpec[] = [
  ...CREATE_FLAGS,
  { name: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' },
  { name: 'sig-proxy', type: 'bool', default: true, description: 'Proxy received signals to the process' },
];

/**
 * docker's env-file format: `KEY=value` lines, `#` comments and blank lines skipped, a bare
 * `KEY` taken from the client's environment (a browser has none, so it is dropped).
 */
export function parseEnvFile(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key === '') throw new Error(`no variable name on line '${line}'`);
    if (/\s/.test(key)) throw new Error(`poorly formatted environment: variable '${key}' contains whitespaces`);
    if (eq >= 0) out.push(line);
  }
  return out;
}

/** `-l k=v` / `-l k` as a label map. */
export function parseLabels(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    out[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
  }
  return out;
}

/** A flag's check: Go's duration syntax (`30s`, `1m30s`). */
export function checkDuration(raw: string): string | undefined {
  try {
    parseGoDuration(raw);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** `--health-*` and `--no-healthcheck` as the engine's HealthConfig (nanoseconds), as docker's opts do. */
function healthcheckOptions(ctx: CommandContext, cmd: string): Pick<CreateOptions, 'healthcheck'> {
  const f = ctx.flags;
  const timing = ['health-interval', 'health-timeout', 'health-start-period', 'health-start-interval', 'health-retries'].filter((n) => f.has(n));
  if (f.bool('no-healthcheck')) {
    if (f.has('health-cmd') || timing.length) throw reportError(cmd, '--no-healthcheck conflicts with --health-* options', true, 125);
    return { healthcheck: { Test: ['NONE'] } };
  }
  if (!f.has('health-cmd') && !timing.length) return {};
  if (f.has('health-retries') && f.int('health-retries') < 0) throw reportError(cmd, '--health-retries cannot be negative', true, 125);
  const ns = (flag: string) => (f.has(flag) ? parseGoDuration(f.string(flag)) : 0);
  return {
    healthcheck: {
      ...(f.has('health-cmd') ? { Test: ['CMD-SHELL', f.string('health-cmd')] } : {}),
      Interval: ns('health-interval'),
      Timeout: ns('health-timeout'),
      StartPeriod: ns('health-start-period'),
      StartInterval: ns('health-start-interval'),
      Retries: f.has('health-retries') ? f.int('health-retries') : 0,
    },
  };
}

/** The flags of `run`/`create` as the engine's CreateOptions. Problems are docker's 125 errors. */
function createOptions(ctx: CommandContext, cmd: string): CreateOptions {
  const f = ctx.flags;
  const [image, ...args] = ctx.args as [string, ...string[]];
  const env: string[] = [];
  try {
    for (const file of f.strings('env-file')) {
      const bytes = ctx.io.files.get(file);
      if (!bytes) throw new Error(`open ${file}: no such file or directory`);
      env.push(...parseEnvFile(new TextDecoder().decode(bytes)));
    }
  } catch (e) {
    throw reportError(cmd, (e as Error).message, true, 125);
  }
  // `-e KEY` without a value copies the client's variable; a browser has no environment.
  env.push(...f.strings('env').filter((e) => e.includes('=')));
  const pull = f.string('pull');
  if (!['always', 'missing', 'never'].includes(pull)) {
    throw reportError(cmd, `invalid pull option: '${pull}': must be one of "always", "missing" or "never"`, true, 125);
  }
  try {
    for (const p of f.strings('publish')) parsePublish(p);
    for (const p of f.strings('expose')) parseExpose(p);
  } catch (e) {
    throw reportError(cmd, (e as Error).message, true, 125);
  }
  const network = f.has('network') ? f.string('network') : f.has('net') ? f.string('net') : undefined;
  const aliases = [...f.strings('network-alias'), ...f.strings('net-alias')];
  const opt = <K extends keyof CreateOptions>(key: K, flag: string, value: () => CreateOptions[K]) => (f.has(flag) ? { [key]: value() } : {});
  return {
    image,
    ...(args.length ? { cmd: args } : {}),
    ...opt('name', 'name', () => f.string('name')),
    ...opt('entrypoint', 'entrypoint', () => f.string('entrypoint')),
    ...(env.length ? { env } : {}),
    ...opt('workdir', 'workdir', () => f.string('workdir')),
    ...opt('user', 'user', () => f.string('user')),
    ...opt('hostname', 'hostname', () => f.string('hostname')),
    ...opt('labels', 'label', () => parseLabels(f.strings('label'))),
    tty: f.bool('tty'),
    openStdin: f.bool('interactive'),
    autoRemove: f.bool('rm'),
    ...opt('restart', 'restart', () => f.string('restart')),
    ...opt('stopTimeout', 'stop-timeout', () => f.int('stop-timeout')),
    ...opt('stopSignal', 'stop-signal', () => f.string('stop-signal')),
    ...opt('memory', 'memory', () => f.string('memory').trim()),
    ...opt('volumes', 'volume', () => f.strings('volume')),
    ...opt('mounts', 'mount', () => f.strings('mount')),
    ...opt('platform', 'platform', () => f.string('platform')),
    ...opt('constraints', 'constraint', () => f.strings('constraint')),
    ...(network !== undefined ? { network } : {}),
    ...(aliases.length ? { networkAliases: aliases } : {}),
    ...opt('ip', 'ip', () => f.string('ip')),
    ...opt('publish', 'publish', () => f.strings('publish')),
    ...(f.bool('publish-all') ? { publishAll: true } : {}),
    ...opt('expose', 'expose', () => f.strings('expose')),
    ...healthcheckOptions(ctx, cmd),
  };
}

/** Pulls the image when `--pull` says so (by default when it is missing), as docker run does. */
async function ensureImage(ctx: CommandContext, cmd: string, o: CreateOptions): Promise<void> {
  let name;
  try {
    name = familiarTagged(parseReference(o.image));
  } catch (e) {
    // Not a reference: perhaps an image ID (prefix), which the engine resolves.
    if (/^(sha256:)?[a-f0-9]{4,64}$/.test(o.image)) return;
    throw reportError(cmd, (e as Error).message, true, 125);
  }
  const mode = ctx.flags.string('pull');
  if (mode === 'never') return;
  if (mode === 'missing') {
    try {
      await ctx.engine.images.resolve(o.image);
      return;
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw reportError(cmd, daemonError(e), true, 125);
    }
    // As docker: with -q nothing but the container's ID (or output) is written.
    if (!ctx.flags.bool('quiet')) ctx.io.stderr(`Unable to find image '${name}' locally\n`);
  }
  try {
    await pullImage(ctx, o.image, ctx.io.stderr, { quiet: ctx.flags.bool('quiet'), ...(o.platform ? { platform: o.platform } : {}) });
  } catch (e) {
    throw reportError(cmd, e instanceof CliError ? e.message : daemonError(e), true, 125);
  }
}

async function createContainer(ctx: CommandContext, cmd: string): Promise<{ id: string; options: CreateOptions }> {
  const options = createOptions(ctx, cmd);
  await ensureImage(ctx, cmd, options);
  try {
    const r = await ctx.engine.containers.create(options);
    for (const w of r.Warnings) ctx.io.stderr(`WARNING: ${w}\n`);
    return { id: r.Id, options };
  } catch (e) {
    throw reportError(cmd, daemonError(e), true, 125);
  }
}

const run: Command = {
  names: ['container run', 'run'],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create and run a new container from an image',
  args: { min: 1 },
  interspersed: false,
  common: 1,
  flags: RUN_FLAGS,
  async run(ctx) {
    const f = ctx.flags;
    const detach = f.bool('detach');
    const tty = f.bool('tty');
    const stdin = f.bool('interactive');
    if (!detach && stdin && tty && !ctx.io.isTTY) throw new CliError('the input device is not a TTY');
    const { id, options } = await createContainer(ctx, 'run');
    const containers = ctx.engine.containers;
    if (detach) {
      try {
        await containers.start(id);
      } catch (e) {
        if (options.autoRemove) await containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
        throw startFailure('run', e);
      }
      ctx.out(id);
      return 0;
    }
    const session = new AttachSession(ctx.io, { tty, stdin, sigProxy: f.bool('sig-proxy'), rawInput: hasKernelTerminal(containers.inspect(id)) });
    const watch = watchExit(ctx.engine, id, { removed: options.autoRemove ?? false });
    try {
      await containers.start(id, session.listeners);
    } catch (e) {
      watch.cancel();
      session.end();
      if (options.autoRemove) await containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
      throw startFailure('run', e);
    }
    session.begin({
      write: (d) => containers.writeStdin(id, d),
      interrupt: () => containers.kill(id, 'SIGINT'),
      resize: (c, r) => containers.resize(id, c, r),
    });
    const r = await Promise.race([watch.exited, session.detached]);
    watch.cancel();
    session.end();
    return r === 'detached' ? DETACHED : r.code;
  },
};

const create: Command = {
  names: ['container create', 'create'],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create a new container',
  args: { min: 1 },
  interspersed: false,
  flags: CREATE_FLAGS,
  async run(ctx) {
    ctx.out((await createContainer(ctx, 'create')).id);
  },
};

/** Connects to a container that is running, or starts it connected (`start -a`, `attach`). */
async function attachTo(ctx: CommandContext, name: string, opts: { start: boolean; stdin: boolean; sigProxy: boolean }): Promise<number> {
  const containers = ctx.engine.containers;
  const rec = containers.inspect(name);
  const tty = rec.Config.Tty;
  const stdin = opts.stdin && rec.Config.OpenStdin;
  if (stdin && tty && !ctx.io.isTTY) throw new CliError('the input device is not a TTY');
  const session = new AttachSession(ctx.io, { tty, stdin, sigProxy: opts.sigProxy, rawInput: hasKernelTerminal(rec) });
  const watch = watchExit(ctx.engine, rec.Id, { removed: rec.HostConfig.AutoRemove });
  let detachOutput: (() => void) | undefined;
  try {
    if (rec.State.Running) detachOutput = containers.attach(rec.Id, session.listeners);
    else if (opts.start) await containers.start(rec.Id, session.listeners);
    else throw new CliError('You cannot attach to a stopped container, start it first');
  } catch (e) {
    watch.cancel();
    session.end();
    throw e;
  }
  session.begin({
    write: (d) => containers.writeStdin(rec.Id, d),
    interrupt: () => containers.kill(rec.Id, 'SIGINT'),
    resize: (c, r) => containers.resize(rec.Id, c, r),
  });
  const r = await Promise.race([watch.exited, session.detached]);
  watch.cancel();
  detachOutput?.();
  session.end();
  return r === 'detached' ? DETACHED : r.code;
}

const start: Command = {
  names: ['container start', 'start'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Start one or more stopped containers',
  args: { min: 1 },
  flags: [
    { name: 'attach', short: 'a', type: 'bool', description: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'interactive', short: 'i', type: 'bool', description: "Attach container's STDIN" },
  ],
  async run(ctx) {
    const attach = ctx.flags.bool('attach');
    const interactive = ctx.flags.bool('interactive');
    if (attach || interactive) {
      if (ctx.args.length > 1) throw new CliError('you cannot start and attach multiple containers at once');
      return attachTo(ctx, ctx.args[0]!, { start: true, stdin: interactive, sigProxy: true });
    }
    await eachTarget(ctx, ctx.args, (name) => ctx.engine.containers.start(name), {
      summary: (failed) => `Error: failed to start containers: ${failed.join(', ')}`,
    });
    return 0;
  },
};

const attach: Command = {
  names: ['container attach', 'attach'],
  usage: '[OPTIONS] CONTAINER',
  short: 'Attach local standard input, output, and error streams to a running container',
  args: { exactly: 1 },
  flags: [
    { name: 'no-stdin', type: 'bool', description: 'Do not attach STDIN' },
    { name: 'sig-proxy', type: 'bool', default: true, description: 'Proxy all received signals to the process' },
  ],
  async run(ctx) {
    return attachTo(ctx, ctx.args[0]!, { start: false, stdin: !ctx.flags.bool('no-stdin'), sigProxy: ctx.flags.bool('sig-proxy') });
  },
};

export const containerRunCommands: readonly Command[] = [run, create, start, attach];
