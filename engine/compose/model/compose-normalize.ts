/**
 * The merged Compose document turned into the model: every short syntax in its long form, relative paths
 * made absolute, `env_file`s read into `environment`, implied defaults filled in (the `default` network,
 * resource names, `depends_on` conditions), durations in Compose's form. What the model has no field for
 * is left out, with a warning for service keys a user would expect to take effect.
 */
import { ShellSyntaxError, splitCommandLine } from '../../../core/shell-words.ts';
import { ComposeFileError } from './compose-errors.ts';
import { keyValueMap } from './compose-merge.ts';
import type {
  ComposeDependency,
  ComposeDeploy,
  ComposeFileObject,
  ComposeHealthcheck,
  ComposeNetwork,
  ComposePort,
  ComposeProject,
  ComposeService,
  ComposeServiceNetwork,
  ComposeServiceVolume,
  ComposeVolume,
  DependencyCondition,
} from './compose-model.ts';
import { absolutePath, isHostPath, isRemoteContext, sourcePath } from './compose-paths.ts';
import { parseDotenv } from './dotenv.ts';
import { normalizeDuration } from './duration.ts';
import type { Lookup } from './interpolate.ts';

type Dict = Record<string, unknown>;

export interface NormalizeContext {
  readonly name: string;
  /** Absolute; relative paths in the document start here. */
  readonly projectDirectory: string;
  /** The project's environment (shell over `.env`), for `KEY`-only entries and `env_file` interpolation. */
  readonly lookup: Lookup;
  readonly readFile: (path: string) => string | undefined;
  readonly warn: (message: string) => void;
}

/** Service keys the model carries (`extends` is resolved before this; `x-` keys are extensions). */
const MODEL_KEYS = new Set([
  'image',
  'build',
  'command',
  'entrypoint',
  'environment',
  'env_file',
  'working_dir',
  'user',
  'hostname',
  'container_name',
  'labels',
  'ports',
  'expose',
  'volumes',
  'networks',
  'network_mode',
  'depends_on',
  'healthcheck',
  'restart',
  'stop_signal',
  'stop_grace_period',
  'init',
  'tty',
  'stdin_open',
  'platform',
  'profiles',
  'secrets',
  'configs',
  'deploy',
  'scale',
  'mem_limit',
]);

export function normalizeProject(doc: Dict, ctx: NormalizeContext): ComposeProject {
  const services: Record<string, ComposeService> = {};
  for (const [name, raw] of Object.entries(dict(doc['services']))) services[name] = normalizeService(name, dict(raw), ctx);
  const networks: Record<string, ComposeNetwork> = {};
  const declaredNetworks = dict(doc['networks']);
  const usesDefault = Object.values(services).some((s) => 'default' in s.networks);
  if (usesDefault && !('default' in declaredNetworks)) declaredNetworks['default'] = {};
  for (const [key, raw] of Object.entries(declaredNetworks)) networks[key] = normalizeNetwork(key, dict(raw), ctx.name);
  const volumes: Record<string, ComposeVolume> = {};
  for (const [key, raw] of Object.entries(dict(doc['volumes']))) volumes[key] = normalizeVolume(key, dict(raw), ctx.name);
  const secrets = fileObjects(doc['secrets'], ctx);
  const configs = fileObjects(doc['configs'], ctx);
  for (const [name, service] of Object.entries(services)) checkReferences(name, service, { networks, volumes, secrets, configs });
  return { name: ctx.name, services, networks, volumes, secrets, configs };
}

function checkReferences(name: string, service: ComposeService, top: Pick<ComposeProject, 'networks' | 'volumes' | 'secrets' | 'configs'>): void {
  const undefinedRef = (kind: string, ref: string) => new ComposeFileError(`service "${name}" refers to undefined ${kind} ${ref}: invalid compose project`);
  for (const network of Object.keys(service.networks)) if (!top.networks[network]) throw undefinedRef('network', network);
  for (const mount of service.volumes) if (mount.type === 'volume' && mount.source && !top.volumes[mount.source]) throw undefinedRef('volume', mount.source);
  for (const secret of service.secrets ?? []) if (!top.secrets[secret.source]) throw undefinedRef('secret', secret.source);
  for (const config of service.configs ?? []) if (!top.configs[config.source]) throw undefinedRef('config', config.source);
}

function normalizeService(name: string, raw: Dict, ctx: NormalizeContext): ComposeService {
  const at = `services.${name}`;
  for (const key of Object.keys(raw)) if (!MODEL_KEYS.has(key) && !key.startsWith('x-')) ctx.warn(`${at}.${key} is not supported and is ignored`);
  const service: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined && value !== null) service[key] = value;
  };
  set('image', str(raw['image']));
  set('build', build(raw['build'], ctx));
  set('command', commandLine(raw['command']));
  set('entrypoint', commandLine(raw['entrypoint']));
  const envFiles = readEnvFiles(raw['env_file'], ctx, at);
  set('environment', environment(raw['environment'], envFiles.vars, ctx));
  // An optional file that is not there is left out, so that the printed project loads again.
  if (envFiles.read.length) set('env_file', envFiles.read);
  for (const key of ['working_dir', 'user', 'hostname', 'container_name', 'network_mode', 'restart', 'stop_signal', 'platform']) set(key, str(raw[key]));
  set('labels', stringMap(raw['labels']));
  set(
    'ports',
    list(raw['ports']).flatMap((p, i) => ports(p, `${at}.ports[${i}]`)),
  );
  set('expose', list(raw['expose']).map(String));
  set(
    'volumes',
    list(raw['volumes']).map((v, i) => serviceVolume(v, ctx, `${at}.volumes[${i}]`)),
  );
  const networks = serviceNetworks(raw['networks']);
  set('networks', Object.keys(networks).length || raw['network_mode'] !== undefined ? networks : { default: {} });
  set('depends_on', dependsOn(raw['depends_on']));
  set('healthcheck', healthcheck(raw['healthcheck'], at));
  if (raw['stop_grace_period'] !== undefined) set('stop_grace_period', normalizeDuration(raw['stop_grace_period'] as string, `${at}.stop_grace_period`));
  for (const key of ['init', 'tty', 'stdin_open']) set(key, bool(raw[key]));
  if (raw['profiles'] !== undefined) set('profiles', list(raw['profiles']).map(String));
  if (raw['secrets'] !== undefined) set('secrets', list(raw['secrets']).map(fileReference));
  if (raw['configs'] !== undefined) set('configs', list(raw['configs']).map(fileReference));
  const deploy = raw['deploy'] === undefined ? undefined : normalizeDeploy(dict(raw['deploy']), `${at}.deploy`);
  set('deploy', deploy);
  const scale = int(raw['scale']);
  if (scale !== undefined && deploy?.replicas !== undefined && scale !== deploy.replicas) {
    throw new ComposeFileError(`${at}: can't set distinct values on 'scale' and 'deploy.replicas'`);
  }
  set('scale', scale ?? deploy?.replicas);
  set('mem_limit', raw['mem_limit']);
  return service as unknown as ComposeService;
}

function build(raw: unknown, ctx: NormalizeContext): ComposeService['build'] {
  if (raw === undefined || raw === null) return undefined;
  const b = typeof raw === 'string' ? { context: raw } : dict(raw);
  const context = str(b['context']) ?? '.';
  const args = b['args'] === undefined ? undefined : resolvedMap(Array.isArray(b['args']) ? keyValueMap(b['args']) : dict(b['args']), ctx.lookup);
  const out: Record<string, unknown> = { context: isRemoteContext(context) ? context : absolutePath(ctx.projectDirectory, context) };
  out['dockerfile'] = str(b['dockerfile']) ?? 'Dockerfile';
  if (args) out['args'] = args;
  if (b['target'] !== undefined) out['target'] = str(b['target']);
  return out as ComposeService['build'];
}

/** A string is split as a shell splits words; a list is taken as it is. */
function commandLine(raw: unknown): readonly string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  return typeof raw === 'string' ? splitWords(raw) : list(raw).map(String);
}

/** The `env_file`s in order, later files winning; `read` lists those found, as absolute paths. */
function readEnvFiles(raw: unknown, ctx: NormalizeContext, at: string): { vars: Record<string, string>; read: string[] } {
  const vars: Record<string, string> = {};
  const read: string[] = [];
  for (const entry of list(raw)) {
    const { path, required } =
      typeof entry === 'string' ? { path: entry, required: true } : { path: String(dict(entry)['path']), required: bool(dict(entry)['required']) ?? true };
    const absolute = absolutePath(ctx.projectDirectory, path);
    const file = sourcePath(ctx.projectDirectory, absolute);
    const text = ctx.readFile(file);
    if (text === undefined) {
      if (required) throw new ComposeFileError(`env file ${absolute} not found (${at}.env_file)`);
      continue;
    }
    Object.assign(vars, parseDotenv(text, ctx.lookup, file));
    read.push(absolute);
  }
  return { vars, read };
}

/** `environment` over the `env_file`s' variables; a key with no value is looked up, and dropped if unset. */
function environment(raw: unknown, fromFiles: Record<string, string>, ctx: NormalizeContext): Record<string, string> {
  const out = { ...fromFiles };
  const own = Array.isArray(raw) ? keyValueMap(raw) : dict(raw);
  for (const [key, value] of Object.entries(own)) {
    if (value !== null && value !== undefined) out[key] = scalarString(value);
    else {
      const looked = ctx.lookup(key);
      if (looked !== undefined) out[key] = looked;
      else delete out[key];
    }
  }
  return out;
}

function resolvedMap(map: Dict, lookup: Lookup): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(map)) {
    const resolved = value === null || value === undefined ? lookup(key) : scalarString(value);
    if (resolved !== undefined) out[key] = resolved;
  }
  return out;
}

/** Labels and the like: a list's `KEY` alone is an empty value, not a lookup. */
function stringMap(raw: unknown): Record<string, string> {
  const map = Array.isArray(raw) ? keyValueMap(raw) : dict(raw);
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v === null || v === undefined ? '' : scalarString(v)]));
}

/** `[IP:][HOST:]CONTAINER[/PROTOCOL]`; equal ranges on both sides give one entry per port, as Compose does. */
function ports(raw: unknown, path: string): ComposePort[] {
  if (raw && typeof raw === 'object') {
    const p = raw as Dict;
    const target = int(p['target']);
    if (target === undefined) throw new ComposeFileError(`${path}: target is required`);
    const port: Record<string, unknown> = { mode: str(p['mode']) ?? 'ingress' };
    if (p['host_ip'] !== undefined) port['host_ip'] = str(p['host_ip']);
    port['target'] = target;
    if (p['published'] !== undefined && p['published'] !== null && p['published'] !== '') port['published'] = String(p['published']);
    port['protocol'] = protocol(str(p['protocol']) ?? 'tcp', path);
    return [port as unknown as ComposePort];
  }
  const text = String(raw);
  const slash = text.lastIndexOf('/');
  const proto = protocol(slash < 0 ? 'tcp' : text.slice(slash + 1), path);
  const spec = slash < 0 ? text : text.slice(0, slash);
  let hostIp: string | undefined;
  let rest = spec;
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(spec);
  if (bracketed) [, hostIp, rest] = bracketed as unknown as [string, string, string];
  const parts = rest.split(':');
  if (!bracketed && parts.length > 3) {
    // An IPv6 host address without brackets (`::1:6000:6000`): the last two parts are the ports.
    hostIp = parts.slice(0, -2).join(':');
    parts.splice(0, parts.length - 2);
  } else if (!bracketed && parts.length === 3) hostIp = parts.shift();
  const [published, container] = parts.length === 1 ? [undefined, parts[0]!] : [parts[0] || undefined, parts[1]!];
  const targets = portRange(container, path);
  const hosts = published === undefined ? undefined : portRange(published, path);
  const base = (target: number, pub: string | undefined): ComposePort => {
    const port: Record<string, unknown> = { mode: 'ingress' };
    if (hostIp) port['host_ip'] = hostIp;
    port['target'] = target;
    if (pub !== undefined) port['published'] = pub;
    port['protocol'] = proto;
    return port as unknown as ComposePort;
  };
  if (!hosts) return targets.map((t) => base(t, undefined));
  if (targets.length === 1) return [base(targets[0]!, published!)];
  if (hosts.length !== targets.length) throw new ComposeFileError(`invalid port range ${text} (${path}): host and container ranges differ in size`);
  return targets.map((t, i) => base(t, String(hosts[i])));
}

function portRange(text: string, path: string): number[] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) throw new ComposeFileError(`invalid port ${JSON.stringify(text)} (${path})`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (end < start || end > 65535) throw new ComposeFileError(`invalid port range ${text} (${path})`);
  return Array.from({ length: end - start + 1 }, (_, i) => start + i);
}

function protocol(text: string, path: string): 'tcp' | 'udp' {
  const p = text.toLowerCase();
  if (p !== 'tcp' && p !== 'udp') throw new ComposeFileError(`invalid protocol "${text}" (${path}): only tcp and udp are supported`);
  return p;
}

/** `name:/path[:ro]` a volume, `./dir:/path` a bind (relative to the project directory), `/path` anonymous. */
function serviceVolume(raw: unknown, ctx: NormalizeContext, path: string): ComposeServiceVolume {
  if (raw && typeof raw === 'object') {
    const v = raw as Dict;
    const type = str(v['type']);
    if (type !== 'volume' && type !== 'bind' && type !== 'tmpfs') throw new ComposeFileError(`${path}: volume type "${type}" is not supported`);
    const target = str(v['target']);
    if (!target) throw new ComposeFileError(`${path}: target is required`);
    const source = str(v['source']);
    const out: Record<string, unknown> = { type };
    if (source) out['source'] = type === 'bind' ? absolutePath(ctx.projectDirectory, source) : source;
    out['target'] = target;
    if (bool(v['read_only'])) out['read_only'] = true;
    return out as unknown as ComposeServiceVolume;
  }
  const parts = String(raw).split(':');
  if (parts.length === 1) return { type: 'volume', target: parts[0]! };
  const [source, target, mode] = parts as [string, string, string | undefined];
  const out: Record<string, unknown> = isHostPath(source)
    ? { type: 'bind', source: absolutePath(ctx.projectDirectory, source), target }
    : { type: 'volume', source, target };
  if (mode?.split(',').includes('ro')) out['read_only'] = true;
  return out as unknown as ComposeServiceVolume;
}

function serviceNetworks(raw: unknown): Record<string, ComposeServiceNetwork> {
  const map = Array.isArray(raw) ? Object.fromEntries(raw.map((n) => [String(n), null])) : dict(raw);
  return Object.fromEntries(
    Object.entries(map).map(([key, value]) => {
      const v = dict(value);
      const out: Record<string, unknown> = {};
      if (v['aliases'] !== undefined) out['aliases'] = list(v['aliases']).map(String);
      if (v['ipv4_address'] !== undefined) out['ipv4_address'] = str(v['ipv4_address']);
      return [key, out as ComposeServiceNetwork];
    }),
  );
}

/** Compose's defaults for each dependency: started, required, not restarted. */
function dependsOn(raw: unknown): Record<string, ComposeDependency> {
  const map = Array.isArray(raw) ? Object.fromEntries(raw.map((n) => [String(n), {}])) : dict(raw);
  return Object.fromEntries(
    Object.entries(map).map(([key, value]) => {
      const v = dict(value);
      return [
        key,
        {
          condition: (str(v['condition']) ?? 'service_started') as DependencyCondition,
          restart: bool(v['restart']) ?? false,
          required: bool(v['required']) ?? true,
        },
      ];
    }),
  );
}

function healthcheck(raw: unknown, at: string): ComposeHealthcheck | undefined {
  if (raw === undefined || raw === null) return undefined;
  const h = dict(raw);
  const out: Record<string, unknown> = {};
  const test = h['test'];
  if (typeof test === 'string') out['test'] = ['CMD-SHELL', test];
  else if (test !== undefined && test !== null) out['test'] = list(test).map(String);
  for (const key of ['timeout', 'interval']) if (h[key] !== undefined) out[key] = normalizeDuration(h[key] as string, `${at}.healthcheck.${key}`);
  if (h['retries'] !== undefined) out['retries'] = int(h['retries']);
  for (const key of ['start_period', 'start_interval']) if (h[key] !== undefined) out[key] = normalizeDuration(h[key] as string, `${at}.healthcheck.${key}`);
  if (bool(h['disable'])) out['disable'] = true;
  if (!out['test']) out['test'] = out['disable'] ? ['NONE'] : [];
  return out as unknown as ComposeHealthcheck;
}

function normalizeDeploy(d: Dict, at: string): ComposeDeploy {
  const out: Record<string, unknown> = {};
  if (d['mode'] !== undefined) out['mode'] = str(d['mode']);
  if (d['replicas'] !== undefined) out['replicas'] = int(d['replicas']);
  if (d['labels'] !== undefined) out['labels'] = stringMap(d['labels']);
  if (d['placement'] !== undefined) out['placement'] = d['placement'];
  if (d['resources'] !== undefined) {
    const resources = dict(d['resources']);
    const limit = (r: unknown) => {
      const v = dict(r);
      const o: Record<string, string> = {};
      if (v['cpus'] !== undefined) o['cpus'] = String(v['cpus']);
      if (v['memory'] !== undefined) o['memory'] = String(v['memory']);
      return o;
    };
    out['resources'] = Object.fromEntries(['limits', 'reservations'].filter((k) => resources[k] !== undefined).map((k) => [k, limit(resources[k])]));
  }
  for (const key of ['restart_policy', 'update_config']) {
    if (d[key] === undefined) continue;
    const policy: Record<string, unknown> = { ...dict(d[key]) };
    for (const field of ['delay', 'window'])
      if (policy[field] !== undefined) policy[field] = normalizeDuration(policy[field] as string, `${at}.${key}.${field}`);
    for (const field of ['max_attempts', 'parallelism']) if (policy[field] !== undefined) policy[field] = int(policy[field]);
    out[key] = policy;
  }
  return out as ComposeDeploy;
}

/** `proj_key` unless the file names it; an external object is known by its `name`, or its key. */
function resourceName(key: string, raw: Dict, project: string): string {
  return str(raw['name']) ?? (bool(raw['external']) ? key : `${project}_${key}`);
}

function normalizeNetwork(key: string, raw: Dict, project: string): ComposeNetwork {
  const out: Record<string, unknown> = { name: resourceName(key, raw, project) };
  if (raw['driver'] !== undefined) out['driver'] = str(raw['driver']);
  if (bool(raw['external'])) out['external'] = true;
  if (bool(raw['internal'])) out['internal'] = true;
  if (raw['labels'] !== undefined) out['labels'] = stringMap(raw['labels']);
  if (raw['ipam'] !== undefined) {
    const config = list(dict(raw['ipam'])['config']).map((c) => {
      const entry = dict(c);
      const o: Record<string, string> = {};
      if (entry['subnet'] !== undefined) o['subnet'] = String(entry['subnet']);
      if (entry['gateway'] !== undefined) o['gateway'] = String(entry['gateway']);
      return o;
    });
    out['ipam'] = { config };
  }
  return out as unknown as ComposeNetwork;
}

function normalizeVolume(key: string, raw: Dict, project: string): ComposeVolume {
  const out: Record<string, unknown> = { name: resourceName(key, raw, project) };
  if (raw['driver'] !== undefined) out['driver'] = str(raw['driver']);
  if (bool(raw['external'])) out['external'] = true;
  if (raw['labels'] !== undefined) out['labels'] = stringMap(raw['labels']);
  return out as unknown as ComposeVolume;
}

function fileObjects(raw: unknown, ctx: NormalizeContext): Record<string, ComposeFileObject> {
  return Object.fromEntries(
    Object.entries(dict(raw)).map(([key, value]) => {
      const v = dict(value);
      const out: Record<string, unknown> = { name: resourceName(key, v, ctx.name) };
      if (v['file'] !== undefined) out['file'] = absolutePath(ctx.projectDirectory, String(v['file']));
      if (v['content'] !== undefined) out['content'] = String(v['content']);
      if (v['environment'] !== undefined) out['environment'] = String(v['environment']);
      if (bool(v['external'])) out['external'] = true;
      return [key, out as unknown as ComposeFileObject];
    }),
  );
}

function fileReference(raw: unknown): { source: string; target?: string } {
  if (typeof raw === 'string') return { source: raw };
  const v = dict(raw);
  const out: { source: string; target?: string } = { source: String(v['source']) };
  if (v['target'] !== undefined) out.target = String(v['target']);
  return out;
}

const dict = (v: unknown): Dict => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Dict) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
const scalarString = (v: unknown): string => (typeof v === 'string' ? v : String(v));

/** Interpolated values arrive as strings (`"${REPLICAS}"`), so numbers and booleans are read from either form. */
function int(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ComposeFileError(`invalid integer value ${JSON.stringify(v)}`);
  return n;
}

function bool(v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (['true', 'yes', 'y', 'on', '1'].includes(s)) return true;
  if (['false', 'no', 'n', 'off', '0'].includes(s)) return false;
  throw new ComposeFileError(`invalid boolean value ${JSON.stringify(v)}`);
}

/** A `command:` string split as a shell would quote it (Compose uses go-shellwords). */
function splitWords(text: string): string[] {
  try {
    return splitCommandLine(text);
  } catch (e) {
    if (e instanceof ShellSyntaxError) throw new ComposeFileError(`invalid command line string ${JSON.stringify(text)}: ${e.message}`);
    throw e;
  }
}
