import type { Digest } from '../oci/digest.ts';
import type { HealthConfig } from '../oci/manifest.ts';
import type { Platform } from '../oci/platform.ts';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface RestartPolicy {
  readonly Name: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  readonly MaximumRetryCount: number;
}

/** A mount as Docker's `Mounts` reports it. */
export interface MountPoint {
  readonly Type: 'volume' | 'tmpfs';
  /** Volume name; empty for tmpfs. */
  readonly Name: string;
  readonly Destination: string;
  readonly RW: boolean;
}

export interface ContainerState {
  readonly Status: ContainerStatus;
  readonly Running: boolean;
  readonly Paused: boolean;
  readonly Restarting: boolean;
  readonly OOMKilled: boolean;
  readonly Dead: boolean;
  readonly Pid: number;
  readonly ExitCode: number;
  readonly Error: string;
  readonly StartedAt: string;
  readonly FinishedAt: string;
  /** Present while a container with a healthcheck runs, and kept after it stops, as Docker's. */
  readonly Health?: HealthState;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** `State.Health` of `docker inspect`. */
export interface HealthState {
  readonly Status: HealthStatus;
  readonly FailingStreak: number;
  /** The last five probes. */
  readonly Log: readonly { readonly Start: string; readonly End: string; readonly ExitCode: number; readonly Output: string }[];
}

/** A container, shaped like Docker's `docker inspect` output (the parts that apply here). */
export interface ContainerRecord {
  readonly Id: string;
  /** With Docker's leading slash: `/name`. */
  readonly Name: string;
  readonly Created: string;
  /** Image ID (config digest). */
  readonly Image: Digest;
  readonly Platform: Platform;
  readonly Path: string;
  readonly Args: readonly string[];
  readonly Config: {
    readonly Hostname: string;
    readonly User: string;
    readonly Env: readonly string[];
    readonly Cmd: readonly string[] | null;
    readonly Entrypoint: readonly string[] | null;
    readonly WorkingDir: string;
    readonly Labels: Readonly<Record<string, string>>;
    readonly Tty: boolean;
    readonly OpenStdin: boolean;
    readonly StopSignal: string;
    readonly StopTimeout: number;
    /** The image as the user named it. */
    readonly Image: string;
    readonly Volumes: Readonly<Record<string, object>> | null;
    /** `{"80/tcp": {}}`: the image's EXPOSE and `--expose`, and every published port. */
    readonly ExposedPorts: Readonly<Record<string, object>>;
    /** The image's HEALTHCHECK, or `--health-*` flags over it. */
    readonly Healthcheck?: HealthConfig;
  };
  readonly HostConfig: {
    readonly RestartPolicy: RestartPolicy;
    readonly AutoRemove: boolean;
    /** Bytes; 0 = no limit. */
    readonly Memory: number;
    /** `node.name==x`, `node.labels.k==v` (Swarm's constraint syntax). */
    readonly PlacementConstraints: readonly string[];
    /** `bridge`, a network's name, `none`, `container:<id>`. */
    readonly NetworkMode: string;
    /** `-p`: container port (`80/tcp`) to the host ports asked for (HostPort `""` = any free one). */
    readonly PortBindings: Readonly<Record<string, readonly PortBinding[]>>;
    /** `-P`: every exposed port gets a free host port. */
    readonly PublishAllPorts: boolean;
  };
  readonly NetworkSettings: NetworkSettings;
  readonly Mounts: readonly MountPoint[];
  readonly State: ContainerState;
  readonly RestartCount: number;
  /** The node it last ran on. */
  readonly Node: string;
}

/** A host port a container port is published on, as Docker's `PortBindings` and `Ports` entries. */
export interface PortBinding {
  readonly HostIp: string;
  readonly HostPort: string;
}

/** A container's attachment to one network, as `NetworkSettings.Networks` entries. */
export interface EndpointSettings {
  /** `--ip` asked for: `{IPv4Address}`; null when the address is the allocator's choice. */
  readonly IPAMConfig: { readonly IPv4Address: string } | null;
  readonly Links: null;
  /** `--network-alias` names. */
  readonly Aliases: readonly string[] | null;
  readonly MacAddress: string;
  readonly DriverOpts: null;
  readonly NetworkID: string;
  /** The following are set while the container runs, empty otherwise (as Docker's). */
  readonly EndpointID: string;
  readonly Gateway: string;
  readonly IPAddress: string;
  readonly IPPrefixLen: number;
  readonly IPv6Gateway: string;
  readonly GlobalIPv6Address: string;
  readonly GlobalIPv6PrefixLen: number;
  /** Names the network's DNS answers for this container: its name, short ID and aliases. */
  readonly DNSNames: readonly string[] | null;
}

/** `docker inspect`'s `NetworkSettings`; the top-level addresses are the default bridge's. */
export interface NetworkSettings {
  readonly Bridge: string;
  readonly SandboxID: string;
  readonly SandboxKey: string;
  /** While running: every exposed port, with its host bindings or null; `{}` otherwise. */
  readonly Ports: Readonly<Record<string, readonly PortBinding[] | null>>;
  readonly EndpointID: string;
  readonly Gateway: string;
  readonly IPAddress: string;
  readonly IPPrefixLen: number;
  readonly MacAddress: string;
  readonly Networks: Readonly<Record<string, EndpointSettings>>;
}

export interface VolumeRecord {
  readonly Name: string;
  readonly Driver: 'local';
  readonly Mountpoint: string;
  readonly CreatedAt: string;
  readonly Labels: Readonly<Record<string, string>>;
  readonly Scope: 'local';
  /** True for anonymous volumes made for an image's VOLUME. */
  readonly Anonymous: boolean;
}

export interface LogRecord {
  readonly stream: 'stdout' | 'stderr';
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly data: Uint8Array;
}
