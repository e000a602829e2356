import { InvalidParameterError } from '../../core/errors.ts';
import type { HealthConfig } from '../../core/oci/manifest.ts';
import type { CreateOptions } from '../containers/create-options.ts';
import { parseGoDuration } from '../go-duration.ts';
import type { ComposeHealthcheck, ComposePort, ComposeProject, ComposeService } from './model/compose-model.ts';

/** The container's name: `container_name`, or `proj-web-1` as Compose names replicas. */
export function containerName(project: ComposeProject, service: string, n: number): string {
  return project.services[service]?.container_name ?? `${project.name}-${service}-${n}`;
}

/** The image a service runs: its `image:`, or `proj-web` as Compose names what it builds. */
export function serviceImage(project: ComposeProject, service: string): string {
  return project.services[service]?.image ?? `${project.name}-${service}`;
}

/** The networks a replica joins, in the order Compose attaches them (by priority, then name). */
export function serviceNetworks(s: ComposeService): string[] {
  return Object.keys(s.networks).sort();
}

const ns = (d: string | undefined) => (d === undefined ? 0 : parseGoDuration(d));

function healthConfig(h: ComposeHealthcheck): HealthConfig {
  if (h.disable) return { Test: ['NONE'] };
  return {
    Test: [...h.test],
    Interval: ns(h.interval),
    Timeout: ns(h.timeout),
    StartPeriod: ns(h.start_period),
    StartInterval: ns(h.start_interval),
    Retries: h.retries ?? 0,
  };
}

function publishSpec(p: ComposePort): string {
  const host = p.host_ip ? `${p.host_ip}:` : '';
  const published = p.published ? `${p.published}:` : p.host_ip ? ':' : '';
  return `${host}${published}${p.target}/${p.protocol}`;
}

function volumeSpecs(project: ComposeProject, s: ComposeService): { volumes: string[]; mounts: string[] } {
  const volumes: string[] = [];
  const mounts: string[] = [];
  for (const v of s.volumes) {
    const ro = v.read_only ? ':ro' : '';
    if (v.type === 'tmpfs') mounts.push(`type=tmpfs,target=${v.target}`);
    // A bind mount's files are copied in at creation (copied-files.ts).
    else if (v.type === 'volume') volumes.push(v.source ? `${project.volumes[v.source]?.name ?? v.source}:${v.target}${ro}` : v.target);
  }
  return { volumes, mounts };
}

/** `1.5g`, `512m` or bytes, as Docker's mem_limit and deploy limits are written. */
function memory(s: ComposeService): string | number | undefined {
  return s.deploy?.resources?.limits?.memory ?? s.mem_limit;
}

/** Compose's `restart` and `deploy.restart_policy` as an engine restart policy. */
function restartPolicy(s: ComposeService): string | undefined {
  const p = s.deploy?.restart_policy;
  if (!p?.condition) return s.restart;
  if (p.condition === 'none') return 'no';
  if (p.condition === 'any') return 'always';
  return p.max_attempts ? `on-failure:${p.max_attempts}` : 'on-failure';
}

/**
 * What the engine is asked to create for replica `n` of a service. Networks beyond the first are
 * connected before the start; `network_mode: service:x` names x's first replica.
 */
export function createOptions(project: ComposeProject, service: string, n: number, labels: Record<string, string>): CreateOptions {
  const s = project.services[service]!;
  if (!s.image && !s.build) throw new InvalidParameterError(`service "${service}" has neither an image nor a build context specified: invalid compose project`);
  const networks = serviceNetworks(s);
  const first = networks[0];
  let network: string | undefined;
  if (s.network_mode) {
    if (s.network_mode === 'host') throw new InvalidParameterError(`service "${service}": network_mode: host is not available in a browser tab`);
    network = s.network_mode.startsWith('service:') ? `container:${containerName(project, s.network_mode.slice('service:'.length), 1)}` : s.network_mode;
  } else if (first !== undefined) network = project.networks[first]?.name ?? first;
  const attachment = first !== undefined && !s.network_mode ? s.networks[first] : undefined;
  const { volumes, mounts } = volumeSpecs(project, s);
  const mem = memory(s);
  const restart = restartPolicy(s);
  return {
    image: serviceImage(project, service),
    name: containerName(project, service, n),
    ...(s.command ? { cmd: s.command } : {}),
    ...(s.entrypoint ? { entrypoint: s.entrypoint } : {}),
    env: Object.entries(s.environment).map(([k, v]) => `${k}=${v}`),
    ...(s.working_dir ? { workdir: s.working_dir } : {}),
    ...(s.user ? { user: s.user } : {}),
    ...(s.hostname ? { hostname: s.hostname } : {}),
    labels: { ...s.labels, ...labels },
    tty: s.tty ?? false,
    openStdin: s.stdin_open ?? false,
    ...(restart ? { restart } : {}),
    ...(s.stop_signal ? { stopSignal: s.stop_signal } : {}),
    ...(s.stop_grace_period ? { stopTimeout: Math.round(parseGoDuration(s.stop_grace_period) / 1e9) } : {}),
    ...(mem !== undefined ? { memory: mem } : {}),
    ...(volumes.length ? { volumes } : {}),
    ...(mounts.length ? { mounts } : {}),
    ...(s.platform ? { platform: s.platform } : {}),
    ...(s.deploy?.placement?.constraints?.length ? { constraints: s.deploy.placement.constraints } : {}),
    ...(network !== undefined ? { network } : {}),
    ...(attachment && network !== 'bridge' ? { networkAliases: [service, ...(attachment.aliases ?? [])] } : {}),
    ...(attachment?.ipv4_address ? { ip: attachment.ipv4_address } : {}),
    ...(s.ports.length ? { publish: s.ports.map(publishSpec) } : {}),
    ...(s.expose.length ? { expose: s.expose } : {}),
    ...(s.healthcheck ? { healthcheck: healthConfig(s.healthcheck) } : {}),
  };
}
