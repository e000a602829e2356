// `docker service …`: Swarm-style services over engine.services, with Docker's output.
import type { Engine, ServiceCreateOptions, ServiceRecord, ServiceUpdateOptions } from '../../engine/index.ts';
import { humanDuration, NoSuchServiceError, NotFoundError, parseGoDuration } from '../../engine/index.ts';
import { CliError, type Command, type CommandContext, type CommandGroup } from '../command.ts';
import type { FlagSpec } from '../flags.ts';
import { formatList, goStruct } from '../format-template.ts';
import { bytesSize } from '../humanize.ts';
import { eachTarget, filterFlag, inspectEach, LIST_FORMAT_FLAG, listFormat, objectFormat, objectFormatFlag, parseFilters } from '../output.ts';
import { alignColumns } from '../table.ts';
import { checkDuration, parseLabels } from './container-run.ts';
import { pullImage } from './image.ts';
import { printTasks, TASK_LIST_FLAGS } from './task-rows.ts';

export const serviceGroup: CommandGroup = { name: 'service', short: 'Manage Swarm-style services' };

/** As docker prints an unknown service. */
function noSuchService(name: string): CliError {
  return new CliError(`Error: No such service: ${name}`);
}

function resolve(engine: Engine, name: string): ServiceRecord {
  try {
    return engine.services.inspect(name);
  } catch (e) {
    if (e instanceof NoSuchServiceError) throw noSuchService(name);
    throw e;
  }
}

const duration = (name: string, description: string): FlagSpec => ({ name, type: 'string', valueName: 'duration', description, check: checkDuration });
const ns = (ctx: CommandContext, name: string) => (ctx.flags.has(name) ? parseGoDuration(ctx.flags.string(name)) : undefined);
const int = (ctx: CommandContext, name: string) => (ctx.flags.has(name) ? ctx.flags.int(name) : undefined);
const str = (ctx: CommandContext, name: string) => (ctx.flags.has(name) ? ctx.flags.string(name) : undefined);

const RESTART_CONDITIONS = ['any', 'on-failure', 'none'] as const;
const FAILURE_ACTIONS = ['pause', 'continue', 'rollback'] as const;

function oneOf<T extends string>(ctx: CommandContext, flag: string, allowed: readonly T[]): T | undefined {
  const v = str(ctx, flag);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v))
    throw new CliError(`invalid argument "${v}" for "--${flag}" flag: must be one of ${allowed.join(', ')}`, 125);
  return v as T;
}

const UPDATE_FLAGS: FlagSpec[] = [
  { name: 'update-parallelism', type: 'int', valueName: 'uint', description: 'Maximum number of tasks updated simultaneously (0 to update all at once)' },
  duration('update-delay', 'Delay between updates (ns|us|ms|s|m|h)'),
  { name: 'update-failure-action', type: 'string', description: 'Action on update failure ("pause", "continue", "rollback")' },
  duration('update-monitor', 'Duration after each task update to monitor for failure (ns|us|ms|s|m|h)'),
  { name: 'restart-condition', type: 'string', description: 'Restart when condition is met ("none", "on-failure", "any")' },
  duration('restart-delay', 'Delay between restart attempts (ns|us|ms|s|m|h)'),
  { name: 'detach', short: 'd', type: 'bool', description: 'Exit immediately instead of waiting for the service to converge' },
  { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress progress output' },
];

function updateConfig(ctx: CommandContext) {
  const parallelism = int(ctx, 'update-parallelism');
  const delay = ns(ctx, 'update-delay');
  const action = oneOf(ctx, 'update-failure-action', FAILURE_ACTIONS);
  const monitor = ns(ctx, 'update-monitor');
  const condition = oneOf(ctx, 'restart-condition', RESTART_CONDITIONS);
  const restartDelay = ns(ctx, 'restart-delay');
  return {
    ...(parallelism !== undefined ? { updateParallelism: parallelism } : {}),
    ...(delay !== undefined ? { updateDelay: delay } : {}),
    ...(action ? { updateFailureAction: action } : {}),
    ...(monitor !== undefined ? { updateMonitor: monitor } : {}),
    ...(condition ? { restartCondition: condition } : {}),
    ...(restartDelay !== undefined ? { restartDelay } : {}),
  };
}

const HEALTH_FLAGS: FlagSpec[] = [
  { name: 'health-cmd', type: 'string', description: 'Command to run to check health' },
  duration('health-interval', 'Time between running the check (ms|s|m|h)'),
  { name: 'health-retries', type: 'int', description: 'Consecutive failures needed to report unhealthy' },
  duration('health-start-period', 'Start period for the container to initialize before counting retries towards unstable (ms|s|m|h)'),
  duration('health-timeout', 'Maximum time to allow one check to run (ms|s|m|h)'),
  { name: 'no-healthcheck', type: 'bool', description: 'Disable any container-specified HEALTHCHECK' },
];

/** `--health-*` as the task template's Healthcheck (nanoseconds), as docker service create builds it. */
function healthcheck(ctx: CommandContext): Pick<ServiceCreateOptions, 'healthcheck'> {
  const f = ctx.flags;
  const timing = ['health-interval', 'health-timeout', 'health-start-period', 'health-retries'].filter((n) => f.has(n));
  if (f.bool('no-healthcheck')) {
    if (f.has('health-cmd') || timing.length) throw new CliError('invalid argument: --no-healthcheck conflicts with --health-* options', 125);
    return { healthcheck: { Test: ['NONE'] } };
  }
  if (!f.has('health-cmd') && !timing.length) return {};
  const retries = int(ctx, 'health-retries');
  if (retries !== undefined && retries < 0) throw new CliError('invalid argument: --health-retries cannot be negative', 125);
  return {
    healthcheck: {
      ...(f.has('health-cmd') ? { Test: ['CMD-SHELL', f.string('health-cmd')] } : {}),
      Interval: ns(ctx, 'health-interval') ?? 0,
      Timeout: ns(ctx, 'health-timeout') ?? 0,
      StartPeriod: ns(ctx, 'health-start-period') ?? 0,
      Retries: retries ?? 0,
    },
  };
}

/** `8080:80`, `8080:80/tcp` or `published=8080,target=80[,protocol=tcp][,mode=ingress]`, as docker's --publish. */
function parsePublish(raw: string): { published: number; target: number } {
  const bad = (why: string) => new CliError(`invalid argument "${raw}" for "-p, --publish" flag: ${why}`, 125);
  let fields: Record<string, string>;
  if (raw.includes('=')) {
    fields = Object.fromEntries(raw.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]));
    const unknown = Object.keys(fields).find((k) => !['published', 'target', 'protocol', 'mode'].includes(k));
    if (unknown) throw bad(`invalid field key ${unknown}`);
  } else {
    const m = /^(\d+):(\d+)(?:\/(\w+))?$/.exec(raw.trim());
    if (!m) throw bad('expected PUBLISHED:TARGET[/tcp] or published=PUBLISHED,target=TARGET');
    fields = { published: m[1]!, target: m[2]!, ...(m[3] ? { protocol: m[3] } : {}) };
  }
  if ((fields.protocol ?? 'tcp') !== 'tcp') throw bad(`protocol ${fields.protocol}: only tcp ports are balanced here`);
  if ((fields.mode ?? 'ingress') !== 'ingress') throw bad(`mode ${fields.mode}: only the routing mesh (ingress) publishes a service's port here`);
  const port = (v: string | undefined, what: string) => {
    const n = Number(v);
    if (!v || !Number.isInteger(n) || n < 1 || n > 65535) throw bad(`${what} port ${v ?? '(missing)'}: must be between 1 and 65535`);
    return n;
  };
  return { published: port(fields.published, 'published'), target: port(fields.target, 'target') };
}

/** `--publish-rm 80`, `80/tcp` or `target=80`: the target port of the port to unpublish. */
function targetPort(raw: string): number {
  const m = /^(?:target=)?(\d+)(?:\/tcp)?$/.exec(raw.trim());
  const n = Number(m?.[1]);
  if (!m || n < 1 || n > 65535) throw new CliError(`invalid argument "${raw}" for "--publish-rm" flag: expected a target port, such as 80 or 80/tcp`, 125);
  return n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BAR = '[==================================================>]';

/**
 * Waits as docker does without -d, then prints the converged progress: `overall progress: N out
 * of N tasks`, a line per task and `verify: Service NAME converged`. A rolling update that ends
 * paused or rolled back is an error.
 */
async function progress(ctx: CommandContext, id: string): Promise<void> {
  const { services } = ctx.engine;
  let shown: string | undefined;
  for (;;) {
    if (ctx.signal?.aborted) return;
    // Docker's progress shows a task that cannot start (no image, no node) and goes on waiting.
    const error = services.lastError(id);
    if (error && error !== shown && !ctx.flags.bool('quiet')) ctx.out(`1/${services.status(id).desired}: ${error}`);
    shown = error;
    const svc = services.inspect(id);
    const state = svc.UpdateStatus?.State;
    if (state === 'paused' || state === 'rollback_paused') throw new CliError(`Error: ${svc.UpdateStatus!.Message}`);
    if (state !== 'updating' && state !== 'rollback_started' && services.converged(id)) break;
    await sleep(50);
  }
  if (ctx.flags.bool('quiet')) return;
  const svc = services.inspect(id);
  const { desired } = services.status(id);
  const rolledBack = svc.UpdateStatus?.State === 'rollback_completed';
  if (rolledBack) ctx.out(`rollback: ${svc.UpdateStatus!.Message}`);
  ctx.out(`overall progress: ${rolledBack ? 'rolling back update: ' : ''}${desired} out of ${desired} tasks`);
  for (let i = 1; i <= desired; i++) ctx.out(`${i}/${desired}: running   ${BAR}`);
  ctx.out(`verify: Service ${svc.Spec.Name} converged`);
  if (rolledBack && svc.UpdateStatus!.Message !== 'manually requested rollback') throw new CliError(`Error: service rolled back: ${svc.UpdateStatus!.Message}`);
}

/**
 * Swarm's nodes pull a service's image themselves; here the engine's store is the nodes', so a
 * missing image is pulled once, up front. One that cannot be pulled gets Docker's warning: the
 * service is created and its tasks fail until the image is there.
 */
async function pullMissing(ctx: CommandContext, image: string): Promise<void> {
  try {
    await ctx.engine.images.resolve(image);
    return;
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
  }
  try {
    await pullImage(ctx, image, () => undefined, { quiet: true });
  } catch {
    ctx.io.stderr(
      `image ${image} could not be accessed on a registry to record\nits digest. Each node will access ${image} independently,\npossibly leading to different nodes running different\nversions of the image.\n`,
    );
  }
}

const create: Command = {
  names: ['service create'],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create a new service',
  args: { min: 1 },
  interspersed: false,
  flags: [
    { name: 'name', type: 'string', description: 'Service name' },
    { name: 'replicas', type: 'int', valueName: 'uint', description: 'Number of tasks' },
    { name: 'mode', type: 'string', default: 'replicated', description: 'Service mode ("replicated", "global")' },
    { name: 'constraint', type: 'stringArray', valueName: 'list', description: 'Placement constraints' },
    { name: 'placement-pref', type: 'stringArray', valueName: 'pref', description: 'Add a placement preference' },
    { name: 'restart-max-attempts', type: 'int', valueName: 'uint', description: 'Maximum number of restarts before giving up' },
    { name: 'env', short: 'e', type: 'stringArray', valueName: 'list', description: 'Set environment variables' },
    { name: 'label', short: 'l', type: 'stringArray', valueName: 'list', description: 'Service labels' },
    { name: 'container-label', type: 'stringArray', valueName: 'list', description: 'Container labels' },
    { name: 'network', type: 'stringArray', valueName: 'network', description: 'Network attachments' },
    { name: 'publish', short: 'p', type: 'stringArray', valueName: 'port', description: 'Publish a port as a node port' },
    { name: 'endpoint-mode', type: 'string', default: 'vip', description: 'Endpoint mode (vip or dnsrr)' },
    ...HEALTH_FLAGS,
    { name: 'limit-memory', type: 'string', valueName: 'bytes', description: 'Limit Memory' },
    { name: 'reserve-memory', type: 'string', valueName: 'bytes', description: 'Reserve Memory' },
    duration('stop-grace-period', 'Time to wait before force killing a container (ns|us|ms|s|m|h) (default 10s)'),
    ...UPDATE_FLAGS,
  ],
  async run(ctx) {
    const f = ctx.flags;
    const publish = f.strings('publish').map(parsePublish);
    const endpointMode = oneOf(ctx, 'endpoint-mode', ['vip', 'dnsrr'] as const);
    const mode = oneOf(ctx, 'mode', ['replicated', 'global'] as const) ?? 'replicated';
    const [image, ...args] = ctx.args as [string, ...string[]];
    const replicas = int(ctx, 'replicas');
    const maxAttempts = int(ctx, 'restart-max-attempts');
    const grace = ns(ctx, 'stop-grace-period');
    const o: ServiceCreateOptions = {
      image,
      ...(args.length ? { args } : {}),
      ...(f.has('name') ? { name: f.string('name') } : {}),
      mode,
      ...(replicas !== undefined ? { replicas } : {}),
      constraints: f.strings('constraint'),
      placementPrefs: f.strings('placement-pref'),
      ...(maxAttempts !== undefined ? { restartMaxAttempts: maxAttempts } : {}),
      env: f.strings('env'),
      labels: parseLabels(f.strings('label')),
      ...(f.has('container-label') ? { containerLabels: parseLabels(f.strings('container-label')) } : {}),
      networks: f.strings('network'),
      ...(f.has('limit-memory') ? { limitMemory: f.string('limit-memory') } : {}),
      ...(f.has('reserve-memory') ? { reserveMemory: f.string('reserve-memory') } : {}),
      ...(grace !== undefined ? { stopGracePeriod: grace } : {}),
      ...(publish.length ? { publish } : {}),
      ...(endpointMode ? { endpointMode } : {}),
      ...healthcheck(ctx),
      ...updateConfig(ctx),
    };
    await pullMissing(ctx, image);
    const { ID } = await ctx.engine.services.create(o);
    ctx.out(ID);
    if (!f.bool('detach')) await progress(ctx, ID);
  },
};

/** `service ls` and `stack services`: one row per service, in Docker's columns. */
export function printServices(ctx: CommandContext, services: readonly ServiceRecord[]): void {
  const rows = services.map((s) => {
    const st = ctx.engine.services.status(s.ID);
    return goStruct(
      {
        ID: s.ID.slice(0, 12),
        Name: s.Spec.Name,
        Mode: 'Global' in s.Spec.Mode ? 'global' : 'replicated',
        Replicas: `${st.running}/${st.desired}`,
        Image: s.Spec.TaskTemplate.ContainerSpec.Image,
        Ports: (s.Endpoint?.Ports ?? []).map((p) => `*:${p.PublishedPort}->${p.TargetPort}/${p.Protocol}`).join(', '),
      },
      '*formatter.serviceContext',
    );
  });
  const format = listFormat(ctx.flags, { table: 'table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}', quiet: '{{.ID}}' });
  ctx.io.stdout(formatList(format, rows, { ID: 'ID', Name: 'NAME', Mode: 'MODE', Replicas: 'REPLICAS', Image: 'IMAGE', Ports: 'PORTS' }));
}

const ls: Command = {
  names: ['service ls', 'service list'],
  usage: '[OPTIONS]',
  short: 'List services',
  args: 'none',
  flags: [filterFlag(), LIST_FORMAT_FLAG, { name: 'quiet', short: 'q', type: 'bool', description: 'Only display IDs' }],
  async run(ctx) {
    const f = parseFilters(ctx.flags.strings('filter'), ['id', 'label', 'mode', 'name']);
    const any = (key: string, test: (v: string) => boolean) => !f.has(key) || f.get(key)!.some(test);
    const matching = ctx.engine.services.list().filter((s) => {
      const mode = 'Global' in s.Spec.Mode ? 'global' : 'replicated';
      const labels = (f.get('label') ?? []).every((l) => {
        const eq = l.indexOf('=');
        return eq < 0 ? l in s.Spec.Labels : s.Spec.Labels[l.slice(0, eq)] === l.slice(eq + 1);
      });
      return labels && any('id', (v) => s.ID.startsWith(v)) && any('name', (v) => s.Spec.Name.startsWith(v)) && any('mode', (v) => v === mode);
    });
    printServices(ctx, matching);
  },
};

const ps: Command = {
  names: ['service ps'],
  usage: '[OPTIONS] SERVICE [SERVICE...]',
  short: 'List the tasks of one or more services',
  args: { min: 1 },
  flags: TASK_LIST_FLAGS,
  async run(ctx) {
    const tasks = ctx.args.flatMap((name) => ctx.engine.services.tasks(resolve(ctx.engine, name).ID));
    printTasks(ctx, tasks);
  },
};

const nsText = (n: number) => (n === 0 ? '0s' : n % 1e9 === 0 ? `${n / 1e9}s` : `${n / 1e6}ms`);

function pretty(s: ServiceRecord): string {
  const t = s.Spec.TaskTemplate;
  const c = t.ContainerSpec;
  const labels = Object.keys(s.Spec.Labels).sort();
  const u = s.Spec.UpdateConfig;
  const lines = [
    `ID:\t${s.ID}`,
    `Name:\t${s.Spec.Name}`,
    ...(labels.length ? ['Labels:', ...labels.map((k) => ` ${k}=${s.Spec.Labels[k]}`)] : []),
    `Service Mode:\t${'Global' in s.Spec.Mode ? 'Global' : 'Replicated'}`,
    ...('Replicated' in s.Spec.Mode ? [` Replicas:\t${s.Spec.Mode.Replicated.Replicas}`] : []),
    ...(s.UpdateStatus
      ? [
          'UpdateStatus:',
          ` State:\t${s.UpdateStatus.State}`,
          ` Started:\t${humanDuration((Date.now() - Date.parse(s.UpdateStatus.StartedAt)) / 1000)} ago`,
          ` Message:\t${s.UpdateStatus.Message}`,
        ]
      : []),
    'Placement:',
    ...(t.Placement.Constraints?.length ? [` Constraints:\t[${t.Placement.Constraints.join(' ')}]`] : []),
    ...(t.Placement.Preferences?.length ? [` Preferences:\t[${t.Placement.Preferences.map((p) => `{Spread ${p.Spread.SpreadDescriptor}}`).join(' ')}]`] : []),
    'UpdateConfig:',
    ` Parallelism:\t${u.Parallelism}`,
    ...(u.Delay ? [` Delay:\t${nsText(u.Delay)}`] : []),
    ` On failure:\t${u.FailureAction}`,
    ` Monitoring Period: ${nsText(u.Monitor)}`,
    ' Update order:      stop-first',
    'ContainerSpec:',
    ` Image:\t${c.Image}`,
    ...(c.Args?.length ? [` Args:\t${c.Args.join(' ')} `] : []),
    ...(c.Env?.length ? [` Env:\t${c.Env.join(' ')}`] : []),
    'Resources:',
    ...(t.Resources.Reservations ? [' Reservations:', `  Memory:\t${bytesSize(t.Resources.Reservations.MemoryBytes)}`] : []),
    ...(t.Resources.Limits ? [' Limits:', `  Memory:\t${bytesSize(t.Resources.Limits.MemoryBytes)}`] : []),
    ...(t.Networks?.length ? [`Networks:\t${t.Networks.map((n) => n.Target).join(' ')} `] : []),
    `Endpoint Mode:\t${s.Spec.EndpointSpec?.Mode ?? 'vip'}`,
    ...(s.Endpoint?.Ports?.length
      ? [
          'Ports:',
          ...s.Endpoint.Ports.flatMap((p) => [
            ` PublishedPort = ${p.PublishedPort}`,
            `  Protocol = ${p.Protocol}`,
            `  TargetPort = ${p.TargetPort}`,
            `  PublishMode = ${p.PublishMode}`,
          ]),
        ]
      : []),
  ];
  return alignColumns(`${lines.join('\n')}\n`, { minWidth: 20, padding: 1 });
}

const inspect: Command = {
  names: ['service inspect'],
  usage: '[OPTIONS] SERVICE [SERVICE...]',
  short: 'Display detailed information on one or more services',
  args: { min: 1 },
  flags: [objectFormatFlag(true), { name: 'pretty', type: 'bool', description: 'Print the information in a human friendly format' }],
  async run(ctx) {
    if (ctx.flags.bool('pretty')) {
      ctx.io.stdout(ctx.args.map((n) => pretty(resolve(ctx.engine, n))).join('\n\n'));
      return;
    }
    await inspectEach(ctx.args, async (n) => resolve(ctx.engine, n), objectFormat(ctx.flags), ctx.io.stdout);
  },
};

const logs: Command = {
  names: ['service logs'],
  usage: '[OPTIONS] SERVICE',
  short: 'Fetch the logs of a service',
  args: { exactly: 1 },
  flags: [
    { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
    { name: 'tail', short: 'n', type: 'string', default: 'all', description: 'Number of lines to show from the end of the logs' },
    { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
    { name: 'no-task-ids', type: 'bool', description: 'Do not include task IDs in output' },
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate output' },
  ],
  async run(ctx) {
    const svc = resolve(ctx.engine, ctx.args[0]!);
    const f = ctx.flags;
    const tail = f.string('tail');
    if (tail !== 'all' && !/^\d+$/.test(tail)) throw new CliError(`invalid value for tail: ${tail}`);
    const names = new Map(ctx.engine.nodes.list().map((n) => [n.ID, n.Name]));
    await Promise.all(
      ctx.engine.services.tasks(svc.ID).map(async (t) => {
        const id = f.bool('no-task-ids') ? '' : `.${f.bool('no-trunc') ? t.id : t.id.slice(0, 12)}`;
        const prefix = `${svc.Spec.Name}.${t.slot}${id}@${names.get(t.nodeId) ?? t.nodeId}    | `;
        const partial = { stdout: '', stderr: '' };
        const dec = { stdout: new TextDecoder(), stderr: new TextDecoder() };
        const emit = (stream: 'stdout' | 'stderr', line: string, time: number) =>
          (stream === 'stderr' ? ctx.io.stderr : ctx.io.stdout)(`${f.bool('timestamps') ? `${new Date(time).toISOString()} ` : ''}${prefix}${line}\n`);
        const q = { follow: f.bool('follow'), ...(tail !== 'all' ? { tail: Number(tail) } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) };
        for await (const r of ctx.engine.containers.logsOf(t.container.Id, q)) {
          const lines = (partial[r.stream] + dec[r.stream].decode(r.data, { stream: true })).split('\n');
          partial[r.stream] = lines.pop()!;
          for (const l of lines) emit(r.stream, l, r.time);
        }
        for (const s of ['stdout', 'stderr'] as const) if (partial[s]) emit(s, partial[s], Date.now());
      }),
    );
  },
};

const scale: Command = {
  names: ['service scale'],
  usage: 'SERVICE=REPLICAS [SERVICE=REPLICAS...]',
  short: 'Scale one or multiple replicated services',
  args: { min: 1 },
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Exit immediately instead of waiting for the service to converge' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress progress output' },
  ],
  async run(ctx) {
    const targets = ctx.args.map((a) => {
      const m = /^([^=]+)=(\d+)$/.exec(a);
      if (!m) throw new CliError(`Error: invalid scale specifier '${a}'.\nSee 'docker service scale --help'.`);
      return { name: m[1]!, replicas: Number(m[2]) };
    });
    const errors: string[] = [];
    for (const t of targets) {
      try {
        const svc = resolve(ctx.engine, t.name);
        await ctx.engine.services.scale(svc.ID, t.replicas);
        ctx.out(`${t.name} scaled to ${t.replicas}`);
        if (!ctx.flags.bool('detach')) await progress(ctx, svc.ID);
      } catch (e) {
        errors.push(e instanceof CliError ? e.message : `Error: ${(e as Error).message}`);
      }
    }
    if (errors.length) throw new CliError(errors.join('\n'));
  },
};

const update: Command = {
  names: ['service update'],
  usage: '[OPTIONS] SERVICE',
  short: 'Update a service',
  args: { exactly: 1 },
  flags: [
    { name: 'image', type: 'string', description: 'Service image tag' },
    { name: 'args', type: 'string', description: 'Service command args' },
    { name: 'replicas', type: 'int', valueName: 'uint', description: 'Number of tasks' },
    { name: 'env-add', type: 'stringArray', valueName: 'list', description: 'Add or update an environment variable' },
    { name: 'env-rm', type: 'stringArray', valueName: 'list', description: 'Remove an environment variable' },
    { name: 'constraint-add', type: 'stringArray', valueName: 'list', description: 'Add or update a placement constraint' },
    { name: 'constraint-rm', type: 'stringArray', valueName: 'list', description: 'Remove a constraint' },
    { name: 'publish-add', type: 'stringArray', valueName: 'port', description: 'Add or update a published port' },
    { name: 'publish-rm', type: 'stringArray', valueName: 'port', description: 'Remove a published port by its target port' },
    ...UPDATE_FLAGS,
  ],
  async run(ctx) {
    const f = ctx.flags;
    const svc = resolve(ctx.engine, ctx.args[0]!);
    const replicas = int(ctx, 'replicas');
    const o: ServiceUpdateOptions = {
      ...(f.has('image') ? { image: f.string('image') } : {}),
      ...(f.has('args') ? { args: f.string('args').split(/\s+/).filter(Boolean) } : {}),
      ...(replicas !== undefined ? { replicas } : {}),
      envAdd: f.strings('env-add'),
      envRm: f.strings('env-rm'),
      constraintAdd: f.strings('constraint-add'),
      constraintRm: f.strings('constraint-rm'),
      publishAdd: f.strings('publish-add').map(parsePublish),
      publishRm: f.strings('publish-rm').map(targetPort),
      ...updateConfig(ctx),
    };
    if (o.image !== undefined) await pullMissing(ctx, o.image);
    await ctx.engine.services.update(svc.ID, o);
    ctx.out(ctx.args[0]!);
    if (!f.bool('detach')) await progress(ctx, svc.ID);
  },
};

const rollback: Command = {
  names: ['service rollback'],
  usage: '[OPTIONS] SERVICE',
  short: "Revert changes to a service's configuration",
  args: { exactly: 1 },
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Exit immediately instead of waiting for the service to converge' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress progress output' },
  ],
  async run(ctx) {
    const svc = resolve(ctx.engine, ctx.args[0]!);
    await ctx.engine.services.rollback(svc.ID);
    ctx.out(ctx.args[0]!);
    if (!ctx.flags.bool('detach')) await progress(ctx, svc.ID);
  },
};

const rm: Command = {
  names: ['service rm', 'service remove'],
  usage: 'SERVICE [SERVICE...]',
  short: 'Remove one or more services',
  args: { min: 1 },
  flags: [],
  async run(ctx) {
    await eachTarget(ctx, ctx.args, async (name) => ctx.engine.services.remove(resolve(ctx.engine, name).ID));
  },
};

export const serviceCommands: readonly Command[] = [create, ls, ps, inspect, logs, scale, update, rollback, rm];
