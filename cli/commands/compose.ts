// `docker compose …`: projects from compose files among the host files. Compose's global flags
// (`-f`, `-p`, `--project-directory`, `--profile`, `--env-file`) may come before the
// sub-command, as in `docker compose -f a.yaml up -d`, or after it where the sub-command has no
// flag of that letter (`logs -f` follows).
import type { ComposeProgress, ContainerSummary, Engine, HostFiles } from '../../engine/index.ts';
import { COMPOSE_LABEL, COMPOSE_VERSION, configJson, configYaml, loadProject } from '../../engine/index.ts';
import { watchExit } from '../attach.ts';
import { plainProgress } from '../build-progress.ts';
import { CliError, type Command, type CommandContext, type CommandGroup } from '../command.ts';
import { displayablePorts } from '../displayable-ports.ts';
import { type FlagSpec, type FlagValue, parseFlags } from '../flags.ts';
import { formatList, goStruct } from '../format-template.ts';
import { ellipsis, goQuote, humanSize, timeAgo } from '../humanize.ts';
import { alignColumns } from '../table.ts';

/** Compose's own tables (`ls`): `tabwriter.NewWriter(out, 20, 1, 3, ' ', 0)`. */
const COMPOSE_TABLE = { minWidth: 20, padding: 3 };

export const composeGroup: CommandGroup = { name: 'compose', short: 'Docker Compose' };

const COMPOSE_FLAGS: readonly FlagSpec[] = [
  { name: 'env-file', type: 'stringArray', valueName: 'stringArray', description: 'Specify an alternate environment file' },
  { name: 'file', short: 'f', type: 'stringArray', valueName: 'stringArray', description: 'Compose configuration files' },
  { name: 'profile', type: 'stringArray', valueName: 'stringArray', description: 'Specify a profile to enable' },
  { name: 'progress', type: 'string', default: 'auto', description: 'Set type of progress output (auto, tty, plain, json, quiet)' },
  {
    name: 'project-directory',
    type: 'string',
    description: 'Specify an alternate working directory (default: the path of the, first specified, Compose file)',
  },
  { name: 'project-name', short: 'p', type: 'string', description: 'Project name' },
];

/**
 * `compose [global flags] SUB rest…` as the sub-command's own argv: the global flags written out
 * long (`--file=a.yaml`), so a sub-command's `-f` keeps its own meaning. Undefined without SUB.
 */
export function composeArgv(words: readonly string[]): { sub: string | undefined; argv: string[] } {
  const parsed = parseFlags(words, COMPOSE_FLAGS, false);
  const long = [...parsed.values].flatMap(([name, v]: [string, FlagValue]) => (Array.isArray(v) ? v.map((x) => `--${name}=${x}`) : [`--${name}=${String(v)}`]));
  const [sub, ...rest] = parsed.args;
  return { sub: parsed.help && sub === undefined ? '--help' : sub, argv: [...long, ...rest] };
}

/** A sub-command's flags with the global ones, whose letters yield to the sub-command's own. */
function withGlobals(own: readonly FlagSpec[]): FlagSpec[] {
  const shorts = new Set(own.map((f) => f.short).filter(Boolean));
  return [...own, ...COMPOSE_FLAGS.map((g) => ({ ...g, hidden: true, ...(g.short && shorts.has(g.short) ? { short: undefined } : {}) }) as FlagSpec)];
}

const decoder = new TextDecoder();

/** A container's name without the API's leading slash. */
const nameOf = (c: ContainerSummary) => c.Names[0]!.replace(/^\//, '');

/**
 * The host files' root stands for the directory `/project`, so a project with no `name:` is called
 * `project`; `-f app/compose.yaml` (or `--project-directory app`) makes `app` the project directory,
 * where `.env` is read and relative paths start, as Compose does with a real directory.
 */
const HOST_ROOT = '/project';

/** `a/../b/./c` → `b/c`: host file keys have no dots. */
function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '..') out.pop();
    else if (part !== '.' && part !== '') out.push(part);
  }
  return out.join('/');
}

/** The project the flags name, loaded from the host files. */
async function load(ctx: CommandContext) {
  const f = ctx.flags;
  const host = ctx.io.files;
  const strip = (p: string) => p.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  const given = f.strings('file').map(strip);
  const dir = f.has('project-directory') ? strip(f.string('project-directory')) : given[0]?.includes('/') ? given[0].slice(0, given[0].lastIndexOf('/')) : '';
  const inDir = (p: string) => normalize(dir && dir !== '.' ? `${dir}/${p}` : p);
  const files = given.map((p) => (dir && p.startsWith(`${dir}/`) ? p.slice(dir.length + 1) : `${'../'.repeat(dir ? dir.split('/').length : 0)}${p}`));
  const directory = dir && dir !== '.' ? `/${dir}` : HOST_ROOT;
  const loaded = await loadProject(
    { readFile: (p) => (host.get(inDir(p)) === undefined ? undefined : decoder.decode(host.get(inDir(p)))) },
    {
      ...(files.length ? { files } : {}),
      ...(f.has('project-name') ? { projectName: f.string('project-name') } : {}),
      projectDirectory: directory,
      profiles: f.strings('profile'),
      ...(f.strings('env-file').length ? { envFiles: f.strings('env-file') } : {}),
    },
  );
  return { ...loaded, directory, paths: loaded.files.map((p) => `/${normalize(`${directory}/${p}`)}`) };
}

/** The host files by the absolute paths the model uses (`/project/html` is `html`). */
function hostFiles(ctx: CommandContext): HostFiles {
  const key = (abs: string) => (abs === HOST_ROOT ? '' : abs.startsWith(`${HOST_ROOT}/`) ? abs.slice(HOST_ROOT.length + 1) : abs.replace(/^\/+/, ''));
  return { get: (p) => ctx.io.files.get(key(p)), under: (p) => ctx.io.files.under(key(p)) };
}

/** The project's name: `-p` needs no file (as `compose down -p x`); otherwise the file's. */
async function projectName(ctx: CommandContext): Promise<string> {
  if (ctx.flags.has('project-name')) return ctx.flags.string('project-name');
  return (await load(ctx)).project.name;
}

function printWarnings(ctx: CommandContext, warnings: readonly string[]): void {
  for (const w of warnings) ctx.io.stderr(`WARN[0000] ${w}\n`);
}

/** Compose's plain progress: ` Container proj-web-1  Started`, on stderr. */
function progressPrinter(ctx: CommandContext): (p: ComposeProgress) => void {
  if (ctx.flags.string('progress') === 'quiet') return () => undefined;
  return (p) => ctx.io.stderr(` ${p.kind} ${p.name}  ${p.status}\n`);
}

/** `web-1  | …` prefixes, padded to the longest as Compose pads them. */
async function followLogs(
  ctx: CommandContext,
  containers: readonly ContainerSummary[],
  opts: { follow: boolean; timestamps: boolean; prefix: boolean; tail?: number },
): Promise<void> {
  const label = (c: ContainerSummary) => {
    const name = nameOf(c);
    const svc = c.Labels[COMPOSE_LABEL.service];
    const n = c.Labels[COMPOSE_LABEL.number];
    return svc && n && name.endsWith(`-${svc}-${n}`) ? `${svc}-${n}` : name;
  };
  const width = Math.max(0, ...containers.map((c) => label(c).length));
  await Promise.all(
    containers.map(async (c) => {
      const prefix = opts.prefix ? `${label(c).padEnd(width)}  | ` : '';
      const partial = { stdout: '', stderr: '' };
      const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
      const emit = (stream: 'stdout' | 'stderr', line: string, time: number) => {
        const stamp = opts.timestamps ? `${new Date(time).toISOString()} ` : '';
        (stream === 'stderr' ? ctx.io.stderr : ctx.io.stdout)(`${prefix}${stamp}${line}\n`);
      };
      const q = { follow: opts.follow, ...(opts.tail !== undefined ? { tail: opts.tail } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) };
      for await (const r of ctx.engine.containers.logsOf(c.Id, q)) {
        const text = partial[r.stream] + decoders[r.stream].decode(r.data, { stream: true });
        const lines = text.split('\n');
        partial[r.stream] = lines.pop()!;
        for (const l of lines) emit(r.stream, l.replace(/\r$/, ''), r.time);
      }
      for (const s of ['stdout', 'stderr'] as const) if (partial[s]) emit(s, partial[s], Date.now());
    }),
  );
}

function parseScale(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) {
    const m = /^([^=]+)=(\d+)$/.exec(v);
    if (!m) throw new CliError(`invalid --scale option "${v}": expected SERVICE=NUM`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

const up: Command = {
  names: ['compose up'],
  usage: '[OPTIONS] [SERVICE...]',
  short: 'Create and start containers',
  args: { min: 0 },
  flags: withGlobals([
    { name: 'abort-on-container-exit', type: 'bool', description: 'Stops all containers if any container was stopped. Incompatible with -d' },
    { name: 'build', type: 'bool', description: 'Build images before starting containers' },
    { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: Run containers in the background' },
    { name: 'force-recreate', type: 'bool', description: "Recreate containers even if their configuration and image haven't changed" },
    { name: 'no-deps', type: 'bool', description: "Don't start linked services" },
    { name: 'no-log-prefix', type: 'bool', description: "Don't print prefix in logs" },
    { name: 'no-recreate', type: 'bool', description: "If containers already exist, don't recreate them. Incompatible with --force-recreate." },
    { name: 'remove-orphans', type: 'bool', description: 'Remove containers for services not defined in the Compose file' },
    {
      name: 'scale',
      type: 'stringArray',
      valueName: 'scale',
      description: 'Scale SERVICE to NUM instances. Overrides the `scale` setting in the Compose file if present.',
    },
    { name: 'timestamps', type: 'bool', description: 'Show timestamps' },
    { name: 'wait', type: 'bool', description: 'Wait for services to be running|healthy. Implies detached mode.' },
  ]),
  async run(ctx) {
    const f = ctx.flags;
    if (f.bool('force-recreate') && f.bool('no-recreate')) throw new CliError('--force-recreate and --no-recreate are incompatible');
    const detach = f.bool('detach') || f.bool('wait');
    if (detach && f.bool('abort-on-container-exit')) throw new CliError('--abort-on-container-exit and --detach are incompatible');
    const { project, warnings, directory, paths } = await load(ctx);
    printWarnings(ctx, warnings);
    const services = ctx.args;
    for (const s of services) if (!project.services[s]) throw new CliError(`no such service: ${s}`);
    await ctx.engine.compose.up(project, {
      services,
      noDeps: f.bool('no-deps'),
      build: f.bool('build'),
      ...(f.string('progress') === 'quiet' ? {} : { onBuildProgress: plainProgress(ctx.io.stderr) }),
      scale: parseScale(f.strings('scale')),
      forceRecreate: f.bool('force-recreate'),
      noRecreate: f.bool('no-recreate'),
      wait: f.bool('wait'),
      removeOrphans: f.bool('remove-orphans'),
      workingDir: directory,
      configFiles: paths,
      hostFiles: hostFiles(ctx),
      onProgress: progressPrinter(ctx),
      onWarning: (w) => printWarnings(ctx, [w]),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    if (detach) return 0;
    const containers = ctx.engine.compose.containersOf(project.name, services.length ? { services } : {});
    ctx.io.stdout(`Attaching to ${containers.map((c) => nameOf(c)).join(', ')}\n`);
    // Until every container has exited, or Ctrl-C, which stops them, as Compose's attached `up`.
    const stopOnAbort = () => void ctx.engine.compose.stop(project.name);
    ctx.signal?.addEventListener('abort', stopOnAbort, { once: true });
    // --abort-on-container-exit: the first container to exit stops the others; its status is up's.
    let first: { name: string; code: number } | undefined;
    const ids = new Set(containers.map((c) => c.Id));
    const abort = (name: string, code: number) => {
      if (first) return;
      first = { name, code };
      ctx.io.stdout(`${name} exited with code ${code}\nAborting on container exit...\n`);
      void ctx.engine.compose.stop(project.name);
    };
    const watching = f.bool('abort-on-container-exit');
    const off = watching
      ? ctx.engine.onEvent((e) => {
          if (e.Type === 'container' && e.Action === 'die' && ids.has(e.Actor.ID))
            abort(e.Actor.Attributes['name'] ?? '', Number(e.Actor.Attributes['exitCode'] ?? 0));
        })
      : () => undefined;
    // One may have ended while `up` was still starting the others.
    for (const c of watching ? containers : []) {
      const r = ctx.engine.containers.inspect(c.Id);
      if (!r.State.Running && !r.State.Restarting) abort(r.Name.slice(1), r.State.ExitCode);
    }
    await followLogs(ctx, containers, { follow: true, timestamps: f.bool('timestamps'), prefix: !f.bool('no-log-prefix') });
    off();
    ctx.signal?.removeEventListener('abort', stopOnAbort);
    return first?.code ?? 0;
  },
};

const down: Command = {
  names: ['compose down'],
  usage: '[OPTIONS] [SERVICES]',
  short: 'Stop and remove containers, networks',
  args: { min: 0 },
  flags: withGlobals([
    { name: 'remove-orphans', type: 'bool', description: 'Remove containers for services not defined in the Compose file' },
    { name: 'rmi', type: 'string', description: 'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")' },
    { name: 'timeout', short: 't', type: 'int', description: 'Specify a shutdown timeout in seconds' },
    {
      name: 'volumes',
      short: 'v',
      type: 'bool',
      description: 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers',
    },
  ]),
  async run(ctx) {
    const f = ctx.flags;
    const rmi = f.string('rmi');
    if (rmi !== '' && rmi !== 'all' && rmi !== 'local') throw new CliError(`invalid value for --rmi: "${rmi}"`);
    await ctx.engine.compose.down(await projectName(ctx), {
      volumes: f.bool('volumes'),
      ...(rmi ? { rmi } : {}),
      ...(f.has('timeout') ? { timeout: f.int('timeout') } : {}),
      onProgress: progressPrinter(ctx),
    });
  },
};

const PS_HEADERS = {
  Command: 'COMMAND',
  CreatedAt: 'CREATED',
  ExitCode: 'EXIT CODE',
  Health: 'HEALTH',
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Name: 'NAME',
  Ports: 'PORTS',
  Project: 'PROJECT',
  RunningFor: 'CREATED',
  Service: 'SERVICE',
  State: 'STATE',
  Status: 'STATUS',
};

function psRow(engine: Engine, c: ContainerSummary): object {
  const r = engine.containers.inspect(c.Id);
  return goStruct(
    {
      Command: goQuote(ellipsis(c.Command, 20)),
      CreatedAt: new Date(c.Created * 1000).toISOString(),
      ExitCode: String(r.State.ExitCode),
      Health: r.State.Health?.Status ?? '',
      ID: c.Id,
      Image: c.Image,
      Name: nameOf(c),
      Ports: displayablePorts(c.Ports),
      Project: c.Labels[COMPOSE_LABEL.project] ?? '',
      RunningFor: timeAgo(c.Created),
      Service: c.Labels[COMPOSE_LABEL.service] ?? '',
      State: c.State,
      Status: c.Status,
    },
    'formatter.ContainerContext',
  );
}

const ps: Command = {
  names: ['compose ps'],
  usage: '[OPTIONS] [SERVICE...]',
  short: 'List containers',
  args: { min: 0 },
  flags: withGlobals([
    { name: 'all', short: 'a', type: 'bool', description: 'Show all stopped containers (including those created by the run command)' },
    { name: 'format', type: 'string', default: 'table', description: "Format output using a custom template: 'table', 'json' or a Go template" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display IDs' },
    { name: 'services', type: 'bool', description: 'Display services' },
    {
      name: 'status',
      type: 'stringArray',
      valueName: 'stringArray',
      description: 'Filter services by status. Values: [paused | restarting | removing | running | dead | created | exited]',
    },
  ]),
  async run(ctx) {
    const f = ctx.flags;
    const statuses = f.strings('status');
    const rows = ctx.engine.compose
      .containersOf(await projectName(ctx), { services: ctx.args, all: f.bool('all') || statuses.length > 0 })
      .filter((c) => !statuses.length || statuses.includes(c.State))
      .sort((a, b) => a.Names[0]!.localeCompare(b.Names[0]!));
    if (f.bool('services')) {
      for (const s of [...new Set(rows.map((c) => c.Labels[COMPOSE_LABEL.service] ?? ''))].sort()) ctx.out(s);
      return;
    }
    if (f.bool('quiet')) {
      for (const c of rows) ctx.out(c.Id);
      return;
    }
    const format = f.string('format');
    if (format === 'json') {
      for (const c of rows) ctx.out(JSON.stringify(psRow(ctx.engine, c)));
      return;
    }
    const tmpl = format === 'table' ? 'table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}' : format;
    ctx.io.stdout(
      formatList(
        tmpl,
        rows.map((c) => psRow(ctx.engine, c)),
        PS_HEADERS,
      ),
    );
  },
};

const ls: Command = {
  names: ['compose ls'],
  usage: '[OPTIONS]',
  short: 'List running compose projects',
  args: 'none',
  flags: withGlobals([
    { name: 'all', short: 'a', type: 'bool', description: 'Show all stopped Compose projects' },
    { name: 'format', type: 'string', default: 'table', description: 'Format the output. Values: [table | json]' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display project names' },
  ]),
  async run(ctx) {
    const rows = ctx.engine.compose.list({ all: ctx.flags.bool('all') });
    if (ctx.flags.bool('quiet')) {
      for (const p of rows) ctx.out(p.Name);
    } else if (ctx.flags.string('format') === 'json') ctx.out(JSON.stringify(rows));
    else ctx.io.stdout(alignColumns(`NAME\tSTATUS\tCONFIG FILES\n${rows.map((p) => `${p.Name}\t${p.Status}\t${p.ConfigFiles}\n`).join('')}`, COMPOSE_TABLE));
  },
};

const logs: Command = {
  names: ['compose logs'],
  usage: '[OPTIONS] [SERVICE...]',
  short: 'View output from containers',
  args: { min: 0 },
  flags: withGlobals([
    { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
    { name: 'no-log-prefix', type: 'bool', description: "Don't print prefix in logs" },
    { name: 'tail', short: 'n', type: 'string', default: 'all', description: 'Number of lines to show from the end of the logs for each container' },
    { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
  ]),
  async run(ctx) {
    const f = ctx.flags;
    const tail = f.string('tail');
    if (tail !== 'all' && !/^\d+$/.test(tail)) throw new CliError(`invalid value for "tail": strconv.Atoi: parsing "${tail}": invalid syntax`);
    const containers = ctx.engine.compose.containersOf(await projectName(ctx), { services: ctx.args });
    await followLogs(ctx, containers, {
      follow: f.bool('follow'),
      timestamps: f.bool('timestamps'),
      prefix: !f.bool('no-log-prefix'),
      ...(tail !== 'all' ? { tail: Number(tail) } : {}),
    });
  },
};

const config: Command = {
  names: ['compose config'],
  usage: '[OPTIONS] [SERVICE...]',
  short: 'Parse, resolve and render compose file in canonical format',
  args: { min: 0 },
  flags: withGlobals([
    { name: 'format', type: 'string', default: 'yaml', description: 'Format the output. Values: [yaml | json]' },
    { name: 'images', type: 'bool', description: 'Print the image names, one per line.' },
    { name: 'networks', type: 'bool', description: 'Print the network names, one per line.' },
    { name: 'quiet', short: 'q', type: 'bool', description: "Only validate the configuration, don't print anything" },
    { name: 'services', type: 'bool', description: 'Print the service names, one per line.' },
    { name: 'volumes', type: 'bool', description: 'Print the volume names, one per line.' },
  ]),
  async run(ctx) {
    const f = ctx.flags;
    const { project, warnings } = await load(ctx);
    printWarnings(ctx, warnings);
    if (f.bool('quiet')) return;
    const list = (names: readonly string[]) => {
      for (const n of names) ctx.out(n);
    };
    if (f.bool('services')) return list(Object.keys(project.services));
    if (f.bool('volumes')) return list(Object.keys(project.volumes));
    if (f.bool('networks')) return list(Object.keys(project.networks));
    if (f.bool('images')) return list(Object.entries(project.services).map(([n, s]) => s.image ?? `${project.name}-${n}`));
    const format = f.string('format');
    if (format !== 'yaml' && format !== 'json') throw new CliError(`unsupported format "${format}"`);
    ctx.io.stdout(format === 'json' ? `${await configJson(project)}\n` : await configYaml(project));
  },
};

function lifecycle(name: 'start' | 'stop' | 'restart', short: string): Command {
  return {
    names: [`compose ${name}`],
    usage: '[OPTIONS] [SERVICE...]',
    short,
    args: { min: 0 },
    flags: withGlobals(name === 'start' ? [] : [{ name: 'timeout', short: 't', type: 'int', description: 'Specify a shutdown timeout in seconds' }]),
    async run(ctx) {
      const p = await projectName(ctx);
      const timeout = ctx.flags.has('timeout') ? { timeout: ctx.flags.int('timeout') } : {};
      const progress = progressPrinter(ctx);
      const names = ctx.engine.compose.containersOf(p, { services: ctx.args }).map((c) => nameOf(c));
      const [doing, done] = { start: ['Starting', 'Started'], stop: ['Stopping', 'Stopped'], restart: ['Restarting', 'Started'] }[name];
      for (const n of names) progress({ kind: 'Container', name: n, status: doing!, done: false });
      if (name === 'start') await ctx.engine.compose.start(p, ctx.args);
      else await ctx.engine.compose[name](p, { services: ctx.args, ...timeout });
      for (const n of names) progress({ kind: 'Container', name: n, status: done!, done: true });
    },
  };
}

const rm: Command = {
  names: ['compose rm'],
  usage: '[OPTIONS] [SERVICE...]',
  short: 'Removes stopped service containers',
  args: { min: 0 },
  flags: withGlobals([
    { name: 'force', short: 'f', type: 'bool', description: "Don't ask to confirm removal" },
    { name: 'stop', short: 's', type: 'bool', description: 'Stop the containers, if required, before removing' },
    { name: 'volumes', short: 'v', type: 'bool', description: 'Remove any anonymous volumes attached to containers' },
  ]),
  async run(ctx) {
    const f = ctx.flags;
    const p = await projectName(ctx);
    const candidates = ctx.engine.compose.containersOf(p, { services: ctx.args }).filter((c) => f.bool('stop') || c.State !== 'running');
    if (!candidates.length) {
      ctx.io.stderr('No stopped containers\n');
      return;
    }
    if (!f.bool('force')) {
      ctx.io.stdout(`Going to remove ${candidates.map((c) => nameOf(c)).join(', ')}\nAre you sure? [yN] `);
      const answer = (await ctx.io.readLine?.()) ?? '';
      if (!/^y(es)?$/i.test(answer.trim())) return;
    }
    const progress = progressPrinter(ctx);
    for (const n of await ctx.engine.compose.rm(p, { services: ctx.args, stop: f.bool('stop'), volumes: f.bool('volumes') })) {
      progress({ kind: 'Container', name: n.replace(/^\//, ''), status: 'Removed', done: true });
    }
  },
};

const pull: Command = {
  names: ['compose pull'],
  usage: '[OPTIONS] [SERVICE...]',
  short: 'Pull service images',
  args: { min: 0 },
  flags: withGlobals([
    { name: 'ignore-pull-failures', type: 'bool', description: 'Pull what it can and ignores images with pull failures' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Pull without printing progress information' },
  ]),
  async run(ctx) {
    const { project, warnings } = await load(ctx);
    printWarnings(ctx, warnings);
    const progress = ctx.flags.bool('quiet') ? () => undefined : progressPrinter(ctx);
    for (const [name, s] of Object.entries(project.services).sort(([a], [b]) => a.localeCompare(b))) {
      if (!s.image || (ctx.args.length && !ctx.args.includes(name))) continue;
      progress({ kind: 'Image', name, status: 'Pulling', done: false });
      try {
        await ctx.engine.images.pull(s.image, { ...(s.platform ? { platform: s.platform } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
        progress({ kind: 'Image', name, status: 'Pulled', done: true });
      } catch (e) {
        progress({ kind: 'Image', name, status: 'Error', done: true, error: true });
        if (!ctx.flags.bool('ignore-pull-failures')) throw e;
        ctx.io.stderr(`WARN[0000] ${(e as Error).message}\n`);
      }
    }
  },
};

/** The container of SERVICE that `exec`, `port` address: `--index`, 1 by default. */
async function serviceContainer(ctx: CommandContext, service: string): Promise<ContainerSummary> {
  const index = ctx.flags.has('index') ? ctx.flags.int('index') : 1;
  const all = ctx.engine.compose.containersOf(await projectName(ctx), { services: [service] });
  const c = all.find((x) => x.Labels[COMPOSE_LABEL.number] === String(index));
  if (!c) throw new CliError(all.length ? `service "${service}" is not running container #${index}` : `service "${service}" is not running`);
  return c;
}

const exec: Command = {
  names: ['compose exec'],
  usage: '[OPTIONS] SERVICE COMMAND [ARGS...]',
  short: 'Execute a command in a running container',
  args: { min: 2 },
  interspersed: false,
  flags: withGlobals([
    { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: Run command in the background' },
    { name: 'env', short: 'e', type: 'stringArray', valueName: 'stringArray', description: 'Set environment variables' },
    { name: 'index', type: 'int', default: 1, description: 'Index of the container if service has multiple replicas' },
    { name: 'no-TTY', short: 'T', type: 'bool', description: 'Disable pseudo-TTY allocation. By default `docker compose exec` allocates a TTY.' },
    { name: 'user', short: 'u', type: 'string', description: 'Run the command as this user' },
    { name: 'workdir', short: 'w', type: 'string', description: 'Path to workdir directory for this command' },
  ]),
  async run(ctx) {
    const f = ctx.flags;
    const [service, ...cmd] = ctx.args as [string, ...string[]];
    const c = await serviceContainer(ctx, service);
    const handle = await ctx.engine.containers.exec(c.Id, {
      cmd,
      env: f.strings('env').filter((e) => e.includes('=')),
      ...(f.has('user') ? { user: f.string('user') } : {}),
      ...(f.has('workdir') ? { workdir: f.string('workdir') } : {}),
      ...(f.bool('detach')
        ? {}
        : { onStdout: (d: Uint8Array) => ctx.io.stdout(decoder.decode(d)), onStderr: (d: Uint8Array) => ctx.io.stderr(decoder.decode(d)) }),
    });
    if (f.bool('detach')) return 0;
    return (await handle.exit).code;
  },
};

const port: Command = {
  names: ['compose port'],
  usage: '[OPTIONS] SERVICE PRIVATE_PORT',
  short: 'Print the public port for a port binding',
  args: { exactly: 2 },
  flags: withGlobals([
    { name: 'index', type: 'int', default: 1, description: 'Index of the container if service has multiple replicas' },
    { name: 'protocol', type: 'string', default: 'tcp', description: 'tcp or udp' },
  ]),
  async run(ctx) {
    const [service, privatePort] = ctx.args as [string, string];
    const c = await serviceContainer(ctx, service);
    const proto = ctx.flags.string('protocol');
    const hit = c.Ports.find((p) => String(p.PrivatePort) === privatePort && p.Type === proto && p.PublicPort);
    if (!hit) throw new CliError(`no port ${privatePort}/${proto} for container ${nameOf(c)}: port is not published`);
    ctx.out(`${hit.IP ?? '0.0.0.0'}:${hit.PublicPort}`);
  },
};

const images: Command = {
  names: ['compose images'],
  usage: '[OPTIONS] [SERVICE...]',
  short: 'List images used by the created containers',
  args: { min: 0 },
  flags: withGlobals([{ name: 'quiet', short: 'q', type: 'bool', description: 'Only display IDs' }]),
  async run(ctx) {
    const rows: string[] = [];
    const containers = ctx.engine.compose.containersOf(await projectName(ctx), { services: ctx.args });
    if (ctx.flags.bool('quiet')) {
      for (const c of containers) ctx.out(c.ImageID);
      return;
    }
    const known = await ctx.engine.images.list({ all: true });
    for (const c of containers) {
      const img = known.find((i) => i.Id === c.ImageID);
      const tag = img?.RepoTags.find((t) => t.startsWith(c.Image.replace(/:[^/]*$/, ''))) ?? img?.RepoTags[0] ?? '<none>:<none>';
      const colon = tag.lastIndexOf(':');
      rows.push(
        `${nameOf(c)}\t${tag.slice(0, colon)}\t${tag.slice(colon + 1)}\t${c.ImageID.replace(/^sha256:/, '').slice(0, 12)}\t${humanSize(img?.Size ?? 0)}\n`,
      );
    }
    ctx.io.stdout(alignColumns(`CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE\n${rows.join('')}`));
  },
};

const top: Command = {
  names: ['compose top'],
  usage: '[SERVICES...]',
  short: 'Display the running processes',
  args: { min: 0 },
  flags: withGlobals([]),
  async run(ctx) {
    for (const c of ctx.engine.compose.containersOf(await projectName(ctx), { services: ctx.args, all: false })) {
      const t = await ctx.engine.containers.top(c.Id);
      ctx.io.stdout(`${nameOf(c)}\n${alignColumns(`${t.Titles.join('\t')}\n${t.Processes.map((p) => `${p.join('\t')}\n`).join('')}`)}\n`);
    }
  },
};

/** Compose's event time: `2006-01-02 15:04:05.000000`, local time. */
function composeEventTime(timeNano: number): string {
  const d = new Date(timeNano / 1e6);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const micros = Math.floor(timeNano / 1e3) % 1e6;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(micros, 6)}`;
}

const events: Command = {
  names: ['compose events'],
  usage: '[OPTIONS] [SERVICE...]',
  short: 'Receive real time events from containers',
  args: { min: 0 },
  flags: withGlobals([{ name: 'json', type: 'bool', description: 'Output events as a stream of json objects' }]),
  async run(ctx) {
    const project = await projectName(ctx);
    const json = ctx.flags.bool('json');
    for await (const e of ctx.engine.events(ctx.signal)) {
      const labels = e.Actor.Attributes;
      if (e.Type !== 'container' || labels[COMPOSE_LABEL.project] !== project) continue;
      const service = labels[COMPOSE_LABEL.service] ?? '';
      if (ctx.args.length && !ctx.args.includes(service)) continue;
      // As Compose does: the container's attributes without Compose's own labels.
      const attributes = Object.fromEntries(
        Object.entries(labels)
          .filter(([k]) => !k.startsWith('com.docker.compose.'))
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      if (json) {
        const time = new Date(e.timeNano / 1e6).toISOString();
        ctx.out(JSON.stringify({ action: e.Action, attributes, id: e.Actor.ID, service, time, type: 'container' }));
      } else {
        const attrs = Object.entries(attributes).map(([k, v]) => `${k}=${v}`);
        ctx.out(`${composeEventTime(e.timeNano)} container ${e.Action} ${e.Actor.ID} (${attrs.join(', ')})`);
      }
    }
  },
};

const run: Command = {
  names: ['compose run'],
  usage: '[OPTIONS] SERVICE [COMMAND] [ARGS...]',
  short: 'Run a one-off command on a service',
  args: { min: 1 },
  interspersed: false,
  flags: withGlobals([
    { name: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' },
    { name: 'entrypoint', type: 'string', description: 'Override the entrypoint of the image' },
    { name: 'env', short: 'e', type: 'stringArray', valueName: 'stringArray', description: 'Set environment variables' },
    { name: 'name', type: 'string', description: 'Assign a name to the container' },
    { name: 'no-deps', type: 'bool', description: "Don't start linked services" },
    { name: 'rm', type: 'bool', description: 'Automatically remove the container when it exits' },
    { name: 'service-ports', type: 'bool', description: "Run command with all service's ports enabled and mapped to the host" },
    { name: 'user', short: 'u', type: 'string', description: 'Run as specified username or uid' },
    { name: 'workdir', short: 'w', type: 'string', description: 'Working directory inside the container' },
  ]),
  async run(ctx) {
    const f = ctx.flags;
    const [service, ...cmd] = ctx.args as [string, ...string[]];
    const { project, warnings } = await load(ctx);
    printWarnings(ctx, warnings);
    const id = await ctx.engine.compose.run(project, service, {
      cmd,
      ...(f.has('entrypoint') ? { entrypoint: f.string('entrypoint') } : {}),
      env: f.strings('env').filter((e) => e.includes('=')),
      ...(f.has('name') ? { name: f.string('name') } : {}),
      ...(f.has('user') ? { user: f.string('user') } : {}),
      ...(f.has('workdir') ? { workdir: f.string('workdir') } : {}),
      noDeps: f.bool('no-deps'),
      rm: f.bool('rm') && !f.bool('detach'),
      servicePorts: f.bool('service-ports'),
      hostFiles: hostFiles(ctx),
      onProgress: progressPrinter(ctx),
    });
    if (f.bool('detach')) {
      await ctx.engine.containers.start(id);
      ctx.out(id);
      return 0;
    }
    const watch = watchExit(ctx.engine, id, { removed: f.bool('rm') });
    try {
      await ctx.engine.containers.start(id, { onStdout: (d) => ctx.io.stdout(decoder.decode(d)), onStderr: (d) => ctx.io.stderr(decoder.decode(d)) });
    } catch (e) {
      watch.cancel();
      throw e;
    }
    return (await watch.exited).code;
  },
};

const build: Command = {
  names: ['compose build'],
  usage: '[OPTIONS] [SERVICE...]',
  short: 'Build or rebuild services',
  args: { min: 0 },
  flags: withGlobals([{ name: 'quiet', short: 'q', type: 'bool', description: "Don't print anything to STDOUT" }]),
  async run(ctx) {
    const { project, warnings } = await load(ctx);
    printWarnings(ctx, warnings);
    for (const s of ctx.args) if (!project.services[s]) throw new CliError(`no such service: ${s}`);
    await ctx.engine.compose.build(project, {
      services: ctx.args,
      hostFiles: hostFiles(ctx),
      onProgress: progressPrinter(ctx),
      ...(ctx.flags.bool('quiet') ? {} : { onBuildProgress: plainProgress(ctx.io.stderr) }),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  },
};

const version: Command = {
  names: ['compose version'],
  usage: '[OPTIONS]',
  short: 'Show the Docker Compose version information',
  args: 'none',
  flags: withGlobals([{ name: 'short', type: 'bool', description: "Shows only Compose's version number" }]),
  async run(ctx) {
    ctx.out(ctx.flags.bool('short') ? COMPOSE_VERSION : `Docker Compose version v${COMPOSE_VERSION}`);
  },
};

export const composeCommands: readonly Command[] = [
  up,
  down,
  ps,
  ls,
  logs,
  config,
  lifecycle('start', 'Start services'),
  lifecycle('stop', 'Stop services'),
  lifecycle('restart', 'Restart service containers'),
  rm,
  pull,
  build,
  exec,
  run,
  port,
  images,
  top,
  events,
  version,
];
