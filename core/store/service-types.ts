import type { HealthConfig } from '../oci/manifest.ts';

/** A Swarm-style service's desired state, as `docker service inspect` shows it (Go field names). */
export interface ServiceSpec {
  readonly Name: string;
  readonly Labels: Readonly<Record<string, string>>;
  readonly TaskTemplate: TaskTemplate;
  readonly Mode: { readonly Replicated: { readonly Replicas: number } } | { readonly Global: Record<string, never> };
  readonly UpdateConfig: UpdateConfig;
  readonly EndpointSpec?: EndpointSpec;
}

/** How the service is reached: by a virtual IP (`vip`, the default) or by its replicas' addresses (`dnsrr`). */
export interface EndpointSpec {
  readonly Mode: 'vip' | 'dnsrr';
  readonly Ports?: readonly ServicePort[];
}

/** `--publish published=8080,target=80`: the routing mesh takes host port 8080 to the replicas' 80. */
export interface ServicePort {
  readonly Protocol: 'tcp';
  readonly TargetPort: number;
  readonly PublishedPort: number;
  readonly PublishMode: 'ingress';
}

/** What Swarm allocated for the endpoint: the published ports and a virtual IP per network. */
export interface ServiceEndpoint {
  readonly Spec: EndpointSpec;
  readonly Ports?: readonly ServicePort[];
  /** `{ NetworkID, Addr: "10.0.1.5/24" }`. */
  readonly VirtualIPs?: readonly { readonly NetworkID: string; readonly Addr: string }[];
}

export interface TaskTemplate {
  readonly ContainerSpec: {
    readonly Image: string;
    /** Arguments after the image: they replace the image's Cmd. */
    readonly Args?: readonly string[];
    readonly Env?: readonly string[];
    readonly Labels?: Readonly<Record<string, string>>;
    /** Nanoseconds between the stop signal and SIGKILL. */
    readonly StopGracePeriod?: number;
    readonly Healthcheck?: HealthConfig;
  };
  readonly RestartPolicy: {
    readonly Condition: RestartCondition;
    /** Nanoseconds, as Swarm's API has it. */
    readonly Delay: number;
    /** 0: unlimited. */
    readonly MaxAttempts: number;
  };
  readonly Placement: {
    readonly Constraints?: readonly string[];
    /** Swarm's `--placement-pref spread=node.labels.x`. */
    readonly Preferences?: readonly { readonly Spread: { readonly SpreadDescriptor: string } }[];
  };
  /** Limits apply to each task's container; reservations are what the scheduler keeps free for it. */
  readonly Resources: { readonly Limits?: { readonly MemoryBytes: number }; readonly Reservations?: { readonly MemoryBytes: number } };
  readonly Networks?: readonly { readonly Target: string }[];
}

export type RestartCondition = 'any' | 'on-failure' | 'none';

export interface UpdateConfig {
  /** Tasks replaced at once; 0: all. */
  readonly Parallelism: number;
  /** Nanoseconds between batches. */
  readonly Delay: number;
  readonly FailureAction: 'pause' | 'continue' | 'rollback';
  /** Nanoseconds a new task must keep running to count as updated. */
  readonly Monitor: number;
}

/** A rolling update's progress (Swarm's UpdateStatus). */
export interface UpdateStatus {
  readonly State: 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';
  readonly StartedAt: string;
  readonly CompletedAt?: string;
  readonly Message: string;
}

export interface ServiceRecord {
  readonly ID: string;
  readonly Version: { readonly Index: number };
  readonly CreatedAt: string;
  readonly UpdatedAt: string;
  readonly Spec: ServiceSpec;
  readonly PreviousSpec?: ServiceSpec;
  readonly UpdateStatus?: UpdateStatus;
  readonly Endpoint?: ServiceEndpoint;
}
