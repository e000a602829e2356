import { ConflictError, EngineError, InvalidParameterError, NotFoundError } from '../../core/errors.ts';
import type { ContainerRecord } from '../../core/store/container-types.ts';
import { buildContext } from '../build/build-context.ts';
import type { BuildProgress } from '../build/builder.ts';
import type { ContainerSummary } from '../containers/container-listing.ts';
import type { ContainerService } from '../containers/container-service.ts';
import { probes } from '../containers/health-monitor.ts';
import type { EventBus } from '../events.ts';
import type { ImageService } from '../images/image-service.ts';
import type { NetworkService } from '../networks/network-service.ts';
import type { VolumeService } from '../volumes/volume-service.ts';
import { COMPOSE_VERSION, configHash, LABEL } from './compose-labels.ts';
import { copiedFiles, type HostFiles } from './copied-files.ts';
import type { ComposeProject, ComposeService } from './model/compose-model.ts';
import { servicesNeeded } from './model/dependency-order.ts';
import { containerName, createOptions, serviceImage, serviceNetworks } from './service-container.ts';

export interface ComposeProjectsDeps {
  readonly containers: ContainerService;
  readonly networks: NetworkService;
  readonly volumes: VolumeService;
  readonly images: ImageService;
  readonly events: EventBus;
}

/** One line of Compose's progress: ` ✔ Container proj-web-1  Started`. */
export interface ComposeProgress {
  readonly kind: 'Network' | 'Volume' | 'Container' | 'Image';
  readonly name: string;
  /** Compose's words: Creating/Created, Starting/Started, Running, Recreate/Recreated, Waiting/Healthy, Pulling/Pulled, Stopping/Stopped, Removing/Removed. */
  readonly status: string;
  readonly done: boolean;
  readonly error?: boolean;
}

export interface UpOptions {
  /** Only these services (and what they depend on, unless `noDeps`). */
  readonly services?: readonly string[];
  readonly noDeps?: boolean;
  /** `--scale svc=N`, over `deploy.replicas`/`scale`. */
  readonly scale?: Readonly<Record<string, number>>;
  readonly forceRecreate?: boolean;
  readonly noRecreate?: boolean;
  /** `--wait`: resolve once every service runs, and is healthy where it has a healthcheck. */
  readonly wait?: boolean;
  readonly removeOrphans?: boolean;
  readonly workingDir?: string;
  readonly configFiles?: readonly string[];
  /** Where bind mounts' sources and file-based secrets and configs are read from. */
  readonly hostFiles?: HostFiles;
  readonly onProgress?: (p: ComposeProgress) => void;
  /** `--build`: build every service that has `build:`, not only those whose image is missing. */
  readonly build?: boolean;
  /** The build's own progress (BuildKit's steps), for services that are built. */
  readonly onBuildProgress?: (p: BuildProgress) => void;
  readonly onWarning?: (message: string) => void;
  readonly signal?: AbortSignal;
}

export interface RunOptions extends Omit<UpOptions, 'services' | 'scale' | 'wait'> {
  readonly cmd?: readonly string[];
  readonly entrypoint?: string;
  readonly env?: readonly string[];
  readonly user?: string;
  readonly workdir?: string;
  readonly name?: string;
  readonly rm?: boolean;
  readonly servicePorts?: boolean;
}

export interface DownOptions {
  readonly volumes?: boolean;
  readonly rmi?: 'all' | 'local';
  readonly timeout?: number;
  readonly onProgress?: (p: ComposeProgress) => void;
}

export interface ProjectSummary {
  readonly Name: string;
  /** `running(2)`, `exited(1), running(1)`. */
  readonly Status: string;
  readonly ConfigFiles: string;
}

/** A service's dependency condition could not be met: Compose's words, exit 1. */
export class DependencyFailedError extends EngineError {}

const isNotFound = (e: unknown) => e instanceof NotFoundError;

/** A container's name without the API's leading slash. */
const nameOf = (c: ContainerSummary) => c.Names[0]!.replace(/^\//, '');

/**
 * `docker compose`: a project is networks, volumes and containers with Compose's names and
 * labels. `up` converges what exists onto the model: an unchanged container is left alone, a
 * changed one is recreated, replicas are added or removed to match the scale, and services start
 * in dependency order once their conditions hold.
 */
export class ComposeProjects {
  constructor(private readonly deps: ComposeProjectsDeps) {}

  /** The project's containers (one-off `run` containers only with `oneoff`), oldest first. */
  containersOf(project: string, opts: { services?: readonly string[]; all?: boolean; oneoff?: boolean } = {}): ContainerSummary[] {
    const label = [`${LABEL.project}=${project}`, ...(opts.oneoff ? [] : [`${LABEL.oneoff}=False`])];
    const rows = this.deps.containers.list({ all: opts.all ?? true, filters: { label } });
    return rows
      .filter((c) => !opts.services?.length || opts.services.includes(c.Labels[LABEL.service] ?? ''))
      .sort((a, b) => a.Created - b.Created || a.Names[0]!.localeCompare(b.Names[0]!));
  }

  async up(project: ComposeProject, opts: UpOptions = {}): Promise<void> {
    const order = servicesNeeded(project.services, opts.services?.length ? opts.services : Object.keys(project.services), opts.noDeps);
    const progress = opts.onProgress ?? (() => undefined);
    await this.orphans(project, opts);
    await this.ensureNetworks(project, order, progress);
    await this.ensureVolumes(project, order, progress);
    await this.ensureImages(project, order, progress, opts);
    const common = {
      [LABEL.project]: project.name,
      [LABEL.workingDir]: opts.workingDir ?? '/',
      [LABEL.configFiles]: (opts.configFiles ?? []).join(','),
      [LABEL.version]: COMPOSE_VERSION,
      [LABEL.oneoff]: 'False',
    };
    // Every container is created first (in dependency order, for `network_mode: service:x`), then
    // each service starts once the services it depends on meet their conditions; independent
    // services go ahead in parallel, as Compose's graph traversal does.
    const toStart = new Map<string, string[]>();
    for (const name of order) toStart.set(name, await this.converge(project, name, common, opts, progress));
    const started = new Map<string, Promise<void>>();
    for (const name of order) {
      const s = project.services[name]!;
      const deps = Object.entries(s.depends_on).filter(([d]) => order.includes(d));
      started.set(
        name,
        (async () => {
          await Promise.all(deps.map(([d]) => started.get(d)));
          for (const [d, dep] of deps) await this.awaitCondition(project, d, dep.condition, dep.required, progress, opts.signal);
          await Promise.all(
            toStart.get(name)!.map(async (id) => {
              const cname = this.deps.containers.inspect(id).Name.slice(1);
              progress({ kind: 'Container', name: cname, status: 'Starting', done: false });
              await this.deps.containers.start(id);
              progress({ kind: 'Container', name: cname, status: 'Started', done: true });
            }),
          );
        })(),
      );
    }
    const results = await Promise.allSettled(started.values());
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    if (opts.wait)
      for (const name of order)
        await this.awaitCondition(project, name, project.services[name]!.healthcheck ? 'service_healthy' : 'service_started', true, progress, opts.signal);
  }

  /** Containers of services the model no longer has: removed with `removeOrphans`, otherwise named in a warning. */
  private async orphans(project: ComposeProject, opts: UpOptions): Promise<void> {
    const orphans = this.containersOf(project.name).filter((c) => !project.services[c.Labels[LABEL.service] ?? '']);
    if (!orphans.length) return;
    if (opts.removeOrphans) {
      for (const c of orphans) await this.deps.containers.remove(c.Id, { force: true });
      return;
    }
    opts.onWarning?.(
      `Found orphan containers ([${orphans.map(nameOf).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`,
    );
  }

  private async ensureNetworks(project: ComposeProject, order: readonly string[], progress: (p: ComposeProgress) => void): Promise<void> {
    const used = new Set(order.flatMap((s) => (project.services[s]!.network_mode ? [] : serviceNetworks(project.services[s]!))));
    for (const key of [...used].sort()) {
      const n = project.networks[key];
      if (!n) throw new InvalidParameterError(`service refers to undefined network ${key}: invalid compose project`);
      const exists = this.deps.networks.list({ name: [n.name] }).some((x) => x.Name === n.name);
      if (n.external) {
        if (!exists) throw new NotFoundError(`network ${n.name} declared as external, but could not be found`);
        continue;
      }
      if (exists) continue;
      progress({ kind: 'Network', name: n.name, status: 'Creating', done: false });
      const subnet = n.ipam?.config?.[0];
      await this.deps.networks.create({
        name: n.name,
        ...(n.driver ? { driver: n.driver } : {}),
        ...(n.internal ? { internal: true } : {}),
        ...(subnet?.subnet ? { subnet: subnet.subnet } : {}),
        ...(subnet?.gateway ? { gateway: subnet.gateway } : {}),
        labels: { ...n.labels, [LABEL.project]: project.name, [LABEL.network]: key, [LABEL.version]: COMPOSE_VERSION },
      });
      progress({ kind: 'Network', name: n.name, status: 'Created', done: true });
    }
  }

  private async ensureVolumes(project: ComposeProject, order: readonly string[], progress: (p: ComposeProgress) => void): Promise<void> {
    const used = new Set(order.flatMap((s) => project.services[s]!.volumes.filter((v) => v.type === 'volume' && v.source).map((v) => v.source!)));
    for (const key of [...used].sort()) {
      const v = project.volumes[key];
      if (!v) throw new InvalidParameterError(`service refers to undefined volume ${key}: invalid compose project`);
      const existing = await this.deps.volumes.inspect(v.name).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      if (v.external) {
        if (!existing) throw new NotFoundError(`external volume "${v.name}" not found`);
        continue;
      }
      if (existing) continue;
      progress({ kind: 'Volume', name: `"${v.name}"`, status: 'Creating', done: false });
      await this.deps.volumes.create({
        name: v.name,
        labels: { ...v.labels, [LABEL.project]: project.name, [LABEL.volume]: key, [LABEL.version]: COMPOSE_VERSION },
      });
      progress({ kind: 'Volume', name: `"${v.name}"`, status: 'Created', done: true });
    }
  }

  /**
   * Missing images are pulled, as `up` does (`--pull missing`); a service with `build:` is built
   * when its image is missing, or always with `build`, and tagged with its image name (`proj-web`).
   */
  private async ensureImages(
    project: ComposeProject,
    order: readonly string[],
    progress: (p: ComposeProgress) => void,
    opts: Pick<UpOptions, 'build' | 'hostFiles' | 'onBuildProgress' | 'signal'> = {},
  ): Promise<void> {
    for (const name of order) {
      const s = project.services[name]!;
      const image = serviceImage(project, name);
      const present = await this.deps.images.resolve(image).then(
        () => true,
        (e) => (isNotFound(e) ? false : Promise.reject(e)),
      );
      if (s.build && (opts.build || !present)) {
        await this.buildService(project, name, image, progress, opts);
        continue;
      }
      if (present) continue;
      progress({ kind: 'Image', name, status: 'Pulling', done: false });
      try {
        await this.deps.images.pull(image, { ...(s.platform ? { platform: s.platform } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      } catch (e) {
        progress({ kind: 'Image', name, status: 'Error', done: true, error: true });
        throw e;
      }
      progress({ kind: 'Image', name, status: 'Pulled', done: true });
    }
  }

  private async buildService(
    project: ComposeProject,
    name: string,
    image: string,
    progress: (p: ComposeProgress) => void,
    opts: Pick<UpOptions, 'hostFiles' | 'onBuildProgress' | 'signal'>,
  ): Promise<void> {
    const b = project.services[name]!.build!;
    if (!opts.hostFiles) throw new InvalidParameterError(`service "${name}": building needs the host files`);
    const dir = b.context.replace(/\/+$/, '');
    const files = opts.hostFiles.under(dir).map((rel) => [rel, opts.hostFiles!.get(`${dir}/${rel}`)!] as const);
    if (!files.length) throw new NotFoundError(`unable to prepare context: path "${b.context}" not found`);
    const dockerfile = b.dockerfile ?? 'Dockerfile';
    progress({ kind: 'Image', name: image, status: 'Building', done: false });
    try {
      await this.deps.images.build({
        context: buildContext(files, dockerfile),
        dockerfile,
        tags: [image],
        ...(b.args ? { buildArgs: b.args } : {}),
        ...(b.target ? { target: b.target } : {}),
        labels: { [LABEL.project]: project.name, [LABEL.service]: name, [LABEL.version]: COMPOSE_VERSION },
        ...(opts.onBuildProgress ? { onProgress: opts.onBuildProgress } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (e) {
      progress({ kind: 'Image', name: image, status: 'Error', done: true, error: true });
      throw e;
    }
    progress({ kind: 'Image', name: image, status: 'Built', done: true });
  }

  /** `compose build`: the services that have `build:` (all, or those named). */
  async build(project: ComposeProject, opts: Pick<UpOptions, 'services' | 'hostFiles' | 'onProgress' | 'onBuildProgress' | 'signal'> = {}): Promise<void> {
    const names = (opts.services?.length ? opts.services : Object.keys(project.services)).filter((n) => project.services[n]?.build);
    for (const n of names) await this.buildService(project, n, serviceImage(project, n), opts.onProgress ?? (() => undefined), opts);
  }

  /** One service's containers onto the model: kept, recreated, added or removed. Returns those to start. */
  private async converge(
    project: ComposeProject,
    name: string,
    common: Record<string, string>,
    opts: UpOptions,
    progress: (p: ComposeProgress) => void,
  ): Promise<string[]> {
    const s = project.services[name]!;
    const scale = opts.scale?.[name] ?? s.scale ?? s.deploy?.replicas ?? 1;
    if (s.container_name && scale > 1) {
      throw new InvalidParameterError(`services.${name}: can't set container_name and ${name} as container name must be unique: invalid compose project`);
    }
    const hash = await configHash(s);
    const image = await this.deps.images.resolve(serviceImage(project, name));
    const labels = {
      ...common,
      [LABEL.service]: name,
      [LABEL.configHash]: hash,
      [LABEL.dependsOn]: Object.entries(s.depends_on)
        .map(([d, c]) => `${d}:${c.condition}:${c.restart}`)
        .join(','),
      [LABEL.image]: image.id,
    };
    const existing = this.containersOf(project.name, { services: [name] });
    const byNumber = new Map(existing.map((c) => [Number(c.Labels[LABEL.number]), c]));
    // Replicas go in parallel, as Compose converges them.
    await Promise.all(
      existing
        .filter((c) => Number(c.Labels[LABEL.number]) > scale)
        .map(async (c) => {
          const cname = nameOf(c);
          progress({ kind: 'Container', name: cname, status: 'Stopping', done: false });
          await this.deps.containers.stop(c.Id);
          await this.deps.containers.remove(c.Id, { force: true });
          progress({ kind: 'Container', name: cname, status: 'Removed', done: true });
        }),
    );
    const replicas = await Promise.all(
      Array.from({ length: scale }, async (_, i): Promise<string | undefined> => {
        const n = i + 1;
        const cname = containerName(project, name, n);
        const cur = byNumber.get(n);
        const stale = cur && (cur.Labels[LABEL.configHash] !== hash || cur.ImageID !== image.id);
        if (cur && !opts.forceRecreate && (opts.noRecreate || !stale)) {
          if (cur.State !== 'running') return cur.Id;
          progress({ kind: 'Container', name: cname, status: 'Running', done: true });
          return undefined;
        }
        if (cur) {
          progress({ kind: 'Container', name: cname, status: 'Recreate', done: false });
          await this.deps.containers.stop(cur.Id);
          await this.deps.containers.remove(cur.Id, { force: true });
        } else progress({ kind: 'Container', name: cname, status: 'Creating', done: false });
        const { Id } = await this.deps.containers.create(createOptions(project, name, n, { ...labels, [LABEL.number]: String(n) }));
        const copied = copiedFiles(project, name, opts.hostFiles);
        if (copied) await this.deps.containers.putArchive(Id, '/', copied);
        for (const key of s.network_mode ? [] : serviceNetworks(s).slice(1)) {
          const att = s.networks[key]!;
          await this.deps.networks.connect(project.networks[key]?.name ?? key, Id, {
            aliases: [name, ...(att.aliases ?? [])],
            ...(att.ipv4_address ? { ip: att.ipv4_address } : {}),
          });
        }
        progress({ kind: 'Container', name: cname, status: cur ? 'Recreated' : 'Created', done: true });
        return Id;
      }),
    );
    return replicas.filter((id) => id !== undefined);
  }

  /** Waits until every container of `service` meets `condition`, as `depends_on` asks. */
  private async awaitCondition(
    project: ComposeProject,
    service: string,
    condition: ComposeService['depends_on'][string]['condition'],
    required: boolean,
    progress: (p: ComposeProgress) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    if (condition === 'service_started') return;
    const targets = this.containersOf(project.name, { services: [service] });
    if (!targets.length) {
      if (required) throw new DependencyFailedError(`service "${service}" has no container to wait for`);
      return;
    }
    await Promise.all(
      targets.map(async (c) => {
        const cname = nameOf(c);
        progress({ kind: 'Container', name: cname, status: 'Waiting', done: false });
        await this.until(c.Id, signal, (r) => {
          if (condition === 'service_healthy') {
            if (!probes(r.Config.Healthcheck)) {
              throw new DependencyFailedError(`container ${cname} has no healthcheck configured`);
            }
            if (r.State.Health?.Status === 'healthy') return true;
            if (r.State.Health?.Status === 'unhealthy') throw new DependencyFailedError(`dependency failed to start: container ${cname} is unhealthy`);
            if (!r.State.Running && !r.State.Restarting)
              throw new DependencyFailedError(`dependency failed to start: container ${cname} exited (${r.State.ExitCode})`);
            return false;
          }
          if (r.State.Running || r.State.Restarting || r.State.Status === 'created') return false;
          if (r.State.ExitCode !== 0) throw new DependencyFailedError(`service "${service}" didn't complete successfully: exit ${r.State.ExitCode}`);
          return true;
        }).catch((e) => {
          progress({ kind: 'Container', name: cname, status: 'Error', done: true, error: true });
          throw e;
        });
        progress({ kind: 'Container', name: cname, status: condition === 'service_healthy' ? 'Healthy' : 'Exited', done: true });
      }),
    );
  }

  /** Re-checks a container's record on each of its events until `done` says so (or throws). */
  private until(id: string, signal: AbortSignal | undefined, done: (r: ContainerRecord) => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      let off = () => {};
      const check = () => {
        try {
          if (signal?.aborted) throw signal.reason;
          if (done(this.deps.containers.inspect(id))) {
            off();
            resolve();
          }
        } catch (e) {
          off();
          reject(e);
        }
      };
      off = this.deps.events.subscribe((e) => e.Type === 'container' && e.Actor.ID === id && queueMicrotask(check));
      signal?.addEventListener('abort', check, { once: true });
      check();
    });
  }

  /**
   * `compose run`: a one-off container of `service` (named `proj-web-run-1a2b3c4d5e6f`, labelled
   * oneoff), after its dependencies are up unless `noDeps`. Returns its ID, created, not started.
   */
  async run(project: ComposeProject, service: string, opts: RunOptions = {}): Promise<string> {
    const s = project.services[service];
    if (!s) throw new NotFoundError(`no such service: ${service}`);
    const deps = Object.keys(s.depends_on);
    const progress = opts.onProgress ?? (() => undefined);
    if (!opts.noDeps && deps.length) {
      await this.up(project, { ...opts, services: deps });
      for (const [d, dep] of Object.entries(s.depends_on)) await this.awaitCondition(project, d, dep.condition, dep.required, progress, opts.signal);
    } else {
      await this.ensureNetworks(project, [service], opts.onProgress ?? (() => undefined));
      await this.ensureVolumes(project, [service], opts.onProgress ?? (() => undefined));
    }
    await this.ensureImages(project, [service], opts.onProgress ?? (() => undefined), opts);
    const base = createOptions(project, service, 1, {
      [LABEL.project]: project.name,
      [LABEL.service]: service,
      [LABEL.number]: '1',
      [LABEL.oneoff]: 'True',
      [LABEL.version]: COMPOSE_VERSION,
    });
    const hex = [...crypto.getRandomValues(new Uint8Array(6))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const { Id } = await this.deps.containers.create({
      ...base,
      name: opts.name ?? `${project.name}-${service}-run-${hex}`,
      ...(opts.cmd?.length ? { cmd: opts.cmd } : {}),
      ...(opts.entrypoint !== undefined ? { entrypoint: opts.entrypoint } : {}),
      ...(opts.env?.length ? { env: [...(base.env ?? []), ...opts.env] } : {}),
      ...(opts.user !== undefined ? { user: opts.user } : {}),
      ...(opts.workdir !== undefined ? { workdir: opts.workdir } : {}),
      // A one-off container publishes no ports unless asked (`--service-ports`), and never restarts.
      ...(opts.servicePorts ? {} : { publish: [] }),
      restart: 'no',
      autoRemove: opts.rm ?? false,
    });
    const copied = copiedFiles(project, service, opts.hostFiles);
    if (copied) await this.deps.containers.putArchive(Id, '/', copied);
    return Id;
  }

  /** `down`: the project's containers, then its networks; its volumes with `volumes`, its images with `rmi`. */
  async down(projectName: string, opts: DownOptions = {}): Promise<void> {
    const progress = opts.onProgress ?? (() => undefined);
    const containers = this.containersOf(projectName, { oneoff: true }).reverse();
    const images = new Set<string>();
    await Promise.all(
      containers.map(async (c) => {
        const name = nameOf(c);
        if (c.State === 'running' || c.State === 'restarting') {
          progress({ kind: 'Container', name, status: 'Stopping', done: false });
          await this.deps.containers.stop(c.Id, opts.timeout !== undefined ? { timeout: opts.timeout } : {});
          progress({ kind: 'Container', name, status: 'Stopped', done: true });
        }
        progress({ kind: 'Container', name, status: 'Removing', done: false });
        await this.deps.containers.remove(c.Id, { force: true, volumes: opts.volumes ?? false });
        progress({ kind: 'Container', name, status: 'Removed', done: true });
        const svc = c.Labels[LABEL.service] ?? '';
        if (opts.rmi === 'all' || (opts.rmi === 'local' && c.Image === `${projectName}-${svc}`)) images.add(c.Image);
      }),
    );
    for (const n of this.deps.networks.list({ label: [`${LABEL.project}=${projectName}`] })) {
      progress({ kind: 'Network', name: n.Name, status: 'Removing', done: false });
      await this.deps.networks.remove(n.Id);
      progress({ kind: 'Network', name: n.Name, status: 'Removed', done: true });
    }
    if (opts.volumes) {
      for (const v of await this.deps.volumes.list()) {
        if (v.Labels[LABEL.project] !== projectName) continue;
        progress({ kind: 'Volume', name: v.Name, status: 'Removing', done: false });
        await this.deps.volumes.remove(v.Name);
        progress({ kind: 'Volume', name: v.Name, status: 'Removed', done: true });
      }
    }
    for (const image of images) {
      progress({ kind: 'Image', name: image, status: 'Removing', done: false });
      await this.deps.images.remove(image).catch((e) => (e instanceof ConflictError || isNotFound(e) ? undefined : Promise.reject(e)));
      progress({ kind: 'Image', name: image, status: 'Removed', done: true });
    }
  }

  async start(projectName: string, services?: readonly string[]): Promise<void> {
    for (const c of this.containersOf(projectName, { ...(services ? { services } : {}) })) {
      if (c.State !== 'running') await this.deps.containers.start(c.Id);
    }
  }

  async stop(projectName: string, opts: { services?: readonly string[]; timeout?: number } = {}): Promise<void> {
    const cs = this.containersOf(projectName, opts).reverse();
    await Promise.all(cs.map((c) => this.deps.containers.stop(c.Id, opts.timeout !== undefined ? { timeout: opts.timeout } : {})));
  }

  async restart(projectName: string, opts: { services?: readonly string[]; timeout?: number } = {}): Promise<void> {
    for (const c of this.containersOf(projectName, opts)) await this.deps.containers.restart(c.Id, opts.timeout !== undefined ? { timeout: opts.timeout } : {});
  }

  /** `rm`: stopped containers only, unless `stop`. Returns the names removed. */
  async rm(projectName: string, opts: { services?: readonly string[]; stop?: boolean; volumes?: boolean } = {}): Promise<string[]> {
    const out: string[] = [];
    for (const c of this.containersOf(projectName, opts)) {
      if (c.State === 'running' && !opts.stop) continue;
      if (c.State === 'running') await this.deps.containers.stop(c.Id);
      await this.deps.containers.remove(c.Id, { volumes: opts.volumes ?? false });
      out.push(nameOf(c));
    }
    return out;
  }

  /** `compose ls`: projects as their containers' labels tell them. */
  list(opts: { all?: boolean } = {}): ProjectSummary[] {
    const rows = this.deps.containers.list({ all: true, filters: { label: [LABEL.project] } });
    const byProject = new Map<string, ContainerSummary[]>();
    for (const c of rows) {
      const p = c.Labels[LABEL.project]!;
      byProject.set(p, [...(byProject.get(p) ?? []), c]);
    }
    return [...byProject.entries()]
      .map(([Name, cs]) => {
        const counts = new Map<string, number>();
        for (const c of cs) counts.set(c.State, (counts.get(c.State) ?? 0) + 1);
        const Status = [...counts.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([st, n]) => `${st}(${n})`)
          .join(', ');
        return { Name, Status, ConfigFiles: cs[0]!.Labels[LABEL.configFiles] ?? '', running: counts.has('running') };
      })
      .filter((p) => opts.all || p.running)
      .sort((a, b) => a.Name.localeCompare(b.Name))
      .map(({ running: _r, ...p }) => p);
  }
}
