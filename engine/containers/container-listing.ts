import { InvalidParameterError } from '../../core/errors.ts';
import type { Digest } from '../../core/oci/digest.ts';
import type { ContainerRecord, ContainerState, MountPoint } from '../../core/store/container-types.ts';
import { humanDuration } from '../human-duration.ts';
import { splitPort } from '../networks/port-specs.ts';

/** One row of `docker ps`. */
export interface ContainerSummary {
  readonly Id: string;
  readonly Names: readonly string[];
  readonly Image: string;
  readonly ImageID: Digest;
  readonly Command: string;
  /** Seconds since the epoch. */
  readonly Created: number;
  readonly State: ContainerState['Status'];
  /** `Up 5 seconds`, `Up 5 seconds (Paused)`, `Exited (0) 3 minutes ago`, `Created`. */
  readonly Status: string;
  readonly Labels: Readonly<Record<string, string>>;
  readonly Mounts: readonly MountPoint[];
  readonly Node: string;
  /** Docker's API shape: exposed ports, with the host side when published (a running container's). */
  readonly Ports: readonly SummaryPort[];
  /** The names of the networks it is attached to. */
  readonly Networks: readonly string[];
}

export interface SummaryPort {
  readonly IP?: string;
  readonly PrivatePort: number;
  readonly PublicPort?: number;
  readonly Type: string;
}

export interface ListOptions {
  all?: boolean;
  filters?: Readonly<Record<string, readonly string[]>>;
  limit?: number;
}

/** `docker ps`: newest first, running ones only unless `all`, every filter key matched. */
export function listContainers(records: readonly ContainerRecord[], opts: ListOptions = {}): ContainerSummary[] {
  let rows = [...records].sort((a, b) => b.Created.localeCompare(a.Created));
  if (!opts.all) rows = rows.filter((r) => r.State.Running || r.State.Restarting);
  // As Docker's: values of one key are alternatives, except labels, which must all match.
  for (const [key, values] of Object.entries(opts.filters ?? {})) {
    rows = rows.filter((r) => (key === 'label' ? values.every((v) => filterMatches(r, key, v)) : values.some((v) => filterMatches(r, key, v))));
  }
  if (opts.limit !== undefined && opts.limit >= 0) rows = rows.slice(0, opts.limit);
  return rows.map((r) => ({
    Id: r.Id,
    Names: [r.Name],
    Image: r.Config.Image,
    ImageID: r.Image,
    Command: [r.Path, ...r.Args].join(' '),
    Created: Math.floor(Date.parse(r.Created) / 1000),
    State: r.State.Status,
    Status: statusText(r),
    Labels: r.Config.Labels,
    Mounts: r.Mounts,
    Node: r.Node,
    Ports: summaryPorts(r),
    Networks: Object.keys(r.NetworkSettings.Networks),
  }));
}

function summaryPorts(r: ContainerRecord): SummaryPort[] {
  return Object.entries(r.NetworkSettings.Ports).flatMap(([key, bindings]) => {
    const [port, proto] = splitPort(key);
    if (!bindings) return [{ PrivatePort: port, Type: proto }];
    return bindings.map((b) => ({ IP: b.HostIp, PrivatePort: port, PublicPort: Number(b.HostPort), Type: proto }));
  });
}

function filterMatches(r: ContainerRecord, key: string, v: string): boolean {
  switch (key) {
    case 'status':
      return r.State.Status === v;
    case 'name':
      return r.Name.slice(1).includes(v.replace(/^\//, ''));
    case 'id':
      return r.Id.startsWith(v);
    case 'exited':
      return !r.State.Running && String(r.State.ExitCode) === v;
    case 'label': {
      const [k, val] = v.split('=', 2) as [string, string | undefined];
      return k in r.Config.Labels && (val === undefined || r.Config.Labels[k] === val);
    }
    case 'ancestor':
      return r.Config.Image === v || r.Image === v || r.Image.startsWith(`sha256:${v}`);
    case 'volume':
      return r.Mounts.some((m) => m.Name === v || m.Destination === v);
    case 'node':
      return r.Node === v;
    case 'network':
      return Object.entries(r.NetworkSettings.Networks).some(([name, e]) => name === v || e.NetworkID.startsWith(v));
    case 'publish':
    case 'expose': {
      const want = v.includes('/') ? v : `${v}/tcp`;
      return key === 'publish' ? Boolean(r.NetworkSettings.Ports[want]) : want in r.Config.ExposedPorts;
    }
    default:
      throw new InvalidParameterError(`invalid filter '${key}'`);
  }
}

/** Docker's "Up 5 seconds" / "Up 5 seconds (Paused)" / "Exited (0) 3 minutes ago" wording. */
export function statusText(r: ContainerRecord, now = Date.now()): string {
  const since = (iso: string) => humanDuration((now - Date.parse(iso)) / 1000);
  switch (r.State.Status) {
    case 'running': {
      const h = r.State.Health?.Status;
      // Docker's wording: `Up 5 seconds (healthy)`, `(health: starting)`, `(unhealthy)`.
      return `Up ${since(r.State.StartedAt)}${h === undefined ? '' : h === 'starting' ? ' (health: starting)' : ` (${h})`}`;
    }
    case 'paused':
      return `Up ${since(r.State.StartedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${r.State.ExitCode}) ${since(r.State.FinishedAt)} ago`;
    case 'exited':
      return r.State.FinishedAt.startsWith('0001') ? 'Created' : `Exited (${r.State.ExitCode}) ${since(r.State.FinishedAt)} ago`;
    case 'created':
      return 'Created';
    default:
      return r.State.Status;
  }
}
