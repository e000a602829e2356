/**
 * `docker compose config`: the model printed as a Compose file (YAML, or JSON with `--format json`).
 * Keys come in the order Compose prints them (its model's field order, mostly alphabetical), services
 * and resources by name, empty collections left out, and `$` written `$$` so that loading the output
 * again gives the same project.
 */
import { stringify } from 'yaml';
import type { ComposeProject } from './compose-model.ts';

type Dict = Record<string, unknown>;

const TOP = ['name', 'services', 'networks', 'volumes', 'secrets', 'configs'];
// compose-go's ServiceConfig field order, for the fields the model has.
const SERVICE = [
  'profiles',
  'build',
  'command',
  'configs',
  'container_name',
  'depends_on',
  'deploy',
  'entrypoint',
  'environment',
  'env_file',
  'expose',
  'hostname',
  'healthcheck',
  'image',
  'init',
  'labels',
  'mem_limit',
  'network_mode',
  'networks',
  'platform',
  'ports',
  'restart',
  'scale',
  'secrets',
  'stdin_open',
  'stop_grace_period',
  'stop_signal',
  'tty',
  'user',
  'volumes',
  'working_dir',
];
const ORDER: Record<string, string[]> = {
  build: ['context', 'dockerfile', 'args', 'target'],
  dependency: ['condition', 'restart', 'required'],
  port: ['mode', 'host_ip', 'target', 'published', 'protocol'],
  mount: ['type', 'source', 'target', 'read_only'],
  healthcheck: ['test', 'timeout', 'interval', 'retries', 'start_period', 'start_interval', 'disable'],
  network: ['name', 'driver', 'ipam', 'external', 'internal', 'labels'],
  volume: ['name', 'driver', 'external', 'labels'],
  file: ['name', 'file', 'environment', 'content', 'external'],
};

/** The project as `docker compose config` prints it. */
export function configYaml(project: ComposeProject): string {
  return stringify(configDocument(project), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** `docker compose config --format json`. */
export function configJson(project: ComposeProject): string {
  return JSON.stringify(configDocument(project), null, 2);
}

function configDocument(project: ComposeProject): Dict {
  const services = byName(project.services, (s) => service(s as unknown as Dict));
  const doc: Dict = {
    name: project.name,
    services,
    networks: byName(project.networks, (n) => ordered(n as unknown as Dict, ORDER['network']!)),
    volumes: byName(project.volumes, (v) => ordered(v as unknown as Dict, ORDER['volume']!)),
    secrets: byName(project.secrets, (f) => ordered(f as unknown as Dict, ORDER['file']!)),
    configs: byName(project.configs, (f) => ordered(f as unknown as Dict, ORDER['file']!)),
  };
  return escapeDollars(dropEmpty(ordered(doc, TOP), true)) as Dict;
}

function service(s: Dict): Dict {
  const out: Dict = { ...s };
  if (s['build']) out['build'] = ordered(s['build'] as Dict, ORDER['build']!);
  // `restart: false` is the default and Compose leaves it out.
  out['depends_on'] = mapValues(sortedKeys(s['depends_on'] as Dict), (d) =>
    ordered({ ...(d as Dict), restart: (d as Dict)['restart'] || undefined }, ORDER['dependency']!),
  );
  out['ports'] = (s['ports'] as Dict[]).map((p) => ordered(p, ORDER['port']!));
  out['volumes'] = (s['volumes'] as Dict[]).map((v) => ordered(v, ORDER['mount']!));
  if (s['healthcheck']) out['healthcheck'] = ordered(s['healthcheck'] as Dict, ORDER['healthcheck']!);
  // An attachment with no options prints as `default: null`, as Compose writes it.
  out['networks'] = mapValues(sortedKeys(s['networks'] as Dict), (n) => (Object.keys(n as Dict).length ? n : null));
  for (const key of ['environment', 'labels']) out[key] = sortedKeys(s[key] as Dict);
  return ordered(out, SERVICE);
}

function ordered(value: Dict, order: readonly string[]): Dict {
  const out: Dict = {};
  for (const key of order) if (value[key] !== undefined) out[key] = value[key];
  for (const key of Object.keys(value).sort()) if (!(key in out) && value[key] !== undefined) out[key] = value[key];
  return out;
}

function byName<T>(map: Readonly<Record<string, T>>, each: (value: T) => unknown): Dict {
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((k) => [k, each(map[k]!)]),
  );
}

const mapValues = (map: Dict, each: (value: unknown) => unknown): Dict => Object.fromEntries(Object.entries(map).map(([k, v]) => [k, each(v)]));
const sortedKeys = (map: Dict): Dict => byName(map, (v) => v);

/** Empty lists and maps say nothing; the service-level ones are left out (a service's own `{}` values, like an attachment, stay). */
function dropEmpty(doc: Dict, top: boolean): Dict {
  const out: Dict = {};
  for (const [key, value] of Object.entries(doc)) {
    const empty = Array.isArray(value) ? value.length === 0 : !!value && typeof value === 'object' && Object.keys(value).length === 0;
    if (empty && key !== 'services') continue;
    out[key] = top && key === 'services' ? mapValues(value as Dict, (s) => dropEmpty(s as Dict, false)) : value;
  }
  return out;
}

/** Values are interpolated when a file is loaded, so a literal `$` must be written `$$` to survive a reload. */
function escapeDollars(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('$', '$$$$');
  if (Array.isArray(value)) return value.map(escapeDollars);
  if (value && typeof value === 'object') return mapValues(value as Dict, escapeDollars);
  return value;
}
