/** A Swarm-style service's desired state, as `docker service inspect` shows it (Go field names). */
export interface ServiceSpec {
  readonly Name: string;
  readonly Labels: Readonly<Record<string, string>>;
  readonly TaskTemplate: TaskTemplate;
  readonly Mode: { readonly Replicated: { readonly Replicas: number } } | { readonly Global: Record<string, never> };
  readonly UpdateConfig: UpdateConfig;
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
  readonly Resources: { readonly Limits?: { readonly MemoryBytes: number } };
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
}
