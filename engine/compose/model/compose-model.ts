/**
 * A Compose project after loading: files merged, `extends` and `include` resolved, variables
 * interpolated, profiles applied, and every short syntax turned into its long form, as
 * `docker compose config` prints it. Keys keep the compose-spec's names (snake_case), so this
 * model serialises straight to a file a real Docker accepts.
 */
export interface ComposeProject {
  readonly name: string;
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly networks: Readonly<Record<string, ComposeNetwork>>;
  readonly volumes: Readonly<Record<string, ComposeVolume>>;
  readonly secrets: Readonly<Record<string, ComposeFileObject>>;
  readonly configs: Readonly<Record<string, ComposeFileObject>>;
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ComposeDependency {
  readonly condition: DependencyCondition;
  readonly restart: boolean;
  readonly required: boolean;
}

export interface ComposePort {
  /** Container port. */
  readonly target: number;
  /** Host port or range (`8080`, `8000-8001`); absent = any free port. */
  readonly published?: string;
  readonly host_ip?: string;
  readonly protocol: 'tcp' | 'udp';
  readonly mode: 'ingress' | 'host';
}

export interface ComposeServiceVolume {
  readonly type: 'volume' | 'bind' | 'tmpfs';
  /** Volume name as written in the file (its key under top-level `volumes`), or a host path; absent = anonymous. */
  readonly source?: string;
  readonly target: string;
  readonly read_only?: boolean;
}

export interface ComposeHealthcheck {
  /** `["CMD", …]`, `["CMD-SHELL", "…"]` or `["NONE"]`. */
  readonly test: readonly string[];
  /** Durations as Compose prints them (`30s`, `1m30s`). */
  readonly interval?: string;
  readonly timeout?: string;
  readonly retries?: number;
  readonly start_period?: string;
  readonly start_interval?: string;
  readonly disable?: boolean;
}

export interface ComposeServiceNetwork {
  readonly aliases?: readonly string[];
  readonly ipv4_address?: string;
}

export interface ComposeService {
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile?: string; readonly args?: Readonly<Record<string, string>>; readonly target?: string };
  readonly command?: readonly string[];
  readonly entrypoint?: readonly string[];
  /** `KEY: value`; a key with no value in the file and none in the environment is dropped, as Compose does. */
  readonly environment: Readonly<Record<string, string>>;
  readonly env_file?: readonly string[];
  readonly working_dir?: string;
  readonly user?: string;
  readonly hostname?: string;
  readonly container_name?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ports: readonly ComposePort[];
  readonly expose: readonly string[];
  readonly volumes: readonly ComposeServiceVolume[];
  /** Network key → attachment; `{ default: {} }` when the file names none and `network_mode` is unset. */
  readonly networks: Readonly<Record<string, ComposeServiceNetwork>>;
  readonly network_mode?: string;
  readonly depends_on: Readonly<Record<string, ComposeDependency>>;
  readonly healthcheck?: ComposeHealthcheck;
  readonly restart?: string;
  readonly stop_signal?: string;
  readonly stop_grace_period?: string;
  readonly init?: boolean;
  readonly tty?: boolean;
  readonly stdin_open?: boolean;
  readonly platform?: string;
  readonly profiles?: readonly string[];
  readonly secrets?: readonly { readonly source: string; readonly target?: string }[];
  readonly configs?: readonly { readonly source: string; readonly target?: string }[];
  readonly deploy?: ComposeDeploy;
  /** `--scale` or `deploy.replicas`; 1 when neither is given. */
  readonly scale?: number;
  readonly mem_limit?: string | number;
}

export interface ComposeDeploy {
  readonly mode?: 'replicated' | 'global';
  readonly replicas?: number;
  readonly placement?: { readonly constraints?: readonly string[]; readonly preferences?: readonly { readonly spread: string }[] };
  readonly resources?: {
    readonly limits?: { readonly memory?: string; readonly cpus?: string };
    readonly reservations?: { readonly memory?: string; readonly cpus?: string };
  };
  readonly restart_policy?: {
    readonly condition?: 'none' | 'on-failure' | 'any';
    readonly delay?: string;
    readonly max_attempts?: number;
    readonly window?: string;
  };
  readonly update_config?: {
    readonly parallelism?: number;
    readonly delay?: string;
    readonly failure_action?: 'continue' | 'rollback' | 'pause';
    readonly order?: string;
  };
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ComposeNetwork {
  /** The engine object's name: `proj_key`, or `name:` from the file. */
  readonly name: string;
  readonly driver?: string;
  readonly external?: boolean;
  readonly internal?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly ipam?: { readonly config?: readonly { readonly subnet?: string; readonly gateway?: string }[] };
}

export interface ComposeVolume {
  /** The engine object's name: `proj_key`, or `name:` from the file. */
  readonly name: string;
  readonly driver?: string;
  readonly external?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ComposeFileObject {
  readonly name: string;
  readonly file?: string;
  readonly content?: string;
  readonly environment?: string;
  readonly external?: boolean;
}
