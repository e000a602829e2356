import { InvalidParameterError } from '../../core/errors.ts';
import type { HealthConfig } from '../../core/oci/manifest.ts';
import type { MountPoint, RestartPolicy } from '../../core/store/container-types.ts';

/** What `docker create` / `docker run` take; the CLI maps its flags onto this. */
export interface CreateOptions {
  readonly image: string;
  readonly name?: string;
  /** Arguments after the image name: they replace the image's Cmd. */
  readonly cmd?: readonly string[];
  /** `--entrypoint` (or the API's list): replaces the image's Entrypoint (and drops its Cmd); '' or [] clears it. */
  readonly entrypoint?: string | readonly string[];
  /** `KEY=value` entries (`-e`, `--env-file`); they override the image's. */
  readonly env?: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
  readonly hostname?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly tty?: boolean;
  readonly openStdin?: boolean;
  readonly autoRemove?: boolean;
  /** `no`, `on-failure[:N]`, `always`, `unless-stopped`. */
  readonly restart?: string;
  readonly stopTimeout?: number;
  readonly stopSignal?: string;
  /** Bytes, or Docker's `64m` / `1g` notation. */
  readonly memory?: number | string;
  /** `-v name:/path[:ro]`, `-v /path` (anonymous). */
  readonly volumes?: readonly string[];
  /** `--mount type=volume,source=x,target=/y[,readonly]`, `--mount type=tmpfs,target=/t`. */
  readonly mounts?: readonly string[];
  readonly platform?: string;
  /** Placement: `node.name==x`, `node.labels.k==v`. */
  readonly constraints?: readonly string[];
  /** `--network`: `bridge` (the default), a network's name or ID, `none`, `container:NAME`; `host` is refused. */
  readonly network?: string;
  /** `--network-alias`: more names for it on a user-defined network's DNS. */
  readonly networkAliases?: readonly string[];
  /** `--ip`: its address on that network. */
  readonly ip?: string;
  /** `-p`: `8080:80`, `127.0.0.1:8080:80`, `8080:80/udp`, `80` (any free host port), `8000-8001:80-81`. */
  readonly publish?: readonly string[];
  /** `-P`: every exposed port on a free host port. */
  readonly publishAll?: boolean;
  /** `--expose 80`, `--expose 7000-7002/udp`. */
  readonly expose?: readonly string[];
  /** `--health-*`: fields left out (or 0) come from the image's HEALTHCHECK; `Test: ["NONE"]` disables it. */
  readonly healthcheck?: HealthConfig;
}

/** The container's healthcheck: the options' fields over the image's, as Docker merges them. */
export function mergeHealthcheck(image: HealthConfig | undefined, o: HealthConfig | undefined): HealthConfig | undefined {
  if (!o) return image;
  const merged: HealthConfig = {
    ...image,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== 0))),
  };
  return Object.keys(merged).length ? merged : undefined;
}

export function parseRestartPolicy(s: string | undefined): RestartPolicy {
  if (!s || s === 'no') return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count] = s.split(':');
  if (name === 'on-failure') {
    const n = count === undefined ? 0 : Number(count);
    if (!Number.isInteger(n) || n < 0) throw new InvalidParameterError(`invalid restart policy: maximum retry count must be a positive integer: ${s}`);
    return { Name: 'on-failure', MaximumRetryCount: n };
  }
  if ((name === 'always' || name === 'unless-stopped') && count === undefined) return { Name: name, MaximumRetryCount: 0 };
  if (name === 'always' || name === 'unless-stopped') {
    throw new InvalidParameterError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  throw new InvalidParameterError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
}

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `64m` → bytes, as Docker's RAMInBytes (binary units). */
export function parseMemory(v: number | string | undefined): number {
  if (v === undefined || v === '' || v === 0) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg])?b?$/i.exec(v.trim());
  if (!m) throw new InvalidParameterError(`invalid argument "${v}" for "-m, --memory" flag: invalid size: '${v}'`);
  const bytes = Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!);
  if (bytes < 6 * 1024 * 1024) throw new InvalidParameterError('Minimum memory limit allowed is 6MB');
  return bytes;
}

export interface MountRequest {
  readonly mount: MountPoint;
  /** A volume to create first (named ones that do not exist yet, and anonymous ones). */
  readonly create?: { name: string; anonymous: boolean };
}

/** `-v` specs: named and anonymous volumes. Host paths (bind mounts) do not exist in a browser. */
export function parseVolumeSpec(spec: string, anonymousName: () => string): MountRequest {
  const parts = spec.split(':');
  if (parts.length === 1) {
    const target = parts[0]!;
    if (!target.startsWith('/')) throw new InvalidParameterError(`invalid volume specification: '${spec}'`);
    const name = anonymousName();
    return { mount: { Type: 'volume', Name: name, Destination: target, RW: true }, create: { name, anonymous: true } };
  }
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (parts.length > 3 || !target?.startsWith('/')) throw new InvalidParameterError(`invalid volume specification: '${spec}'`);
  if (source.startsWith('/') || source.startsWith('.')) {
    throw new InvalidParameterError(`bind mounts are not supported in the browser ('${source}'); use a named volume, e.g. -v data:${target}`);
  }
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw new InvalidParameterError(`invalid mode: ${mode}`);
  return { mount: { Type: 'volume', Name: source, Destination: target, RW: mode !== 'ro' }, create: { name: source, anonymous: false } };
}

/** `--mount` specs (comma-separated key=value), type volume or tmpfs. */
export function parseMountSpec(spec: string, anonymousName: () => string): MountRequest {
  const kv: Record<string, string> = {};
  let readOnly = false;
  for (const field of spec.split(',')) {
    const [k, v] = field.split('=', 2) as [string, string | undefined];
    const key = k.trim().toLowerCase();
    if ((key === 'readonly' || key === 'ro') && (v === undefined || v === 'true' || v === '1')) readOnly = true;
    else if (v === undefined) throw new InvalidParameterError(`invalid field '${field}' must be a key=value pair`);
    else kv[key] = v;
  }
  const type = kv.type ?? 'volume';
  const target = kv.target ?? kv.destination ?? kv.dst;
  if (!target?.startsWith('/')) throw new InvalidParameterError('invalid mount config: target must be an absolute path');
  if (type === 'tmpfs') return { mount: { Type: 'tmpfs', Name: '', Destination: target, RW: !readOnly } };
  if (type === 'bind') throw new InvalidParameterError('bind mounts are not supported in the browser; use type=volume or type=tmpfs');
  if (type !== 'volume') throw new InvalidParameterError(`invalid mount config: unknown mount type '${type}'`);
  const source = kv.source ?? kv.src;
  const name = source ?? anonymousName();
  return { mount: { Type: 'volume', Name: name, Destination: target, RW: !readOnly }, create: { name, anonymous: !source } };
}
