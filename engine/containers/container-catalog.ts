import { ConflictError, InvalidParameterError } from '../../core/errors.ts';
import type { HealthConfig } from '../../core/oci/manifest.ts';
import { formatPlatform, isWasiPlatform } from '../../core/oci/platform.ts';
import type { ContainerRecord } from '../../core/store/container-types.ts';
import { containerScope, deleteScope } from '../../core/store/fs-entries.ts';
import { randomHex } from '../random-hex.ts';
import { mergeEnv } from './container-env.ts';
import type { ContainerFiles } from './container-files.ts';
import type { ContainerRecords } from './container-records.ts';
import type { ContainerServiceDeps } from './container-service.ts';
import type { ContainerTasks } from './container-tasks.ts';
import { type CreateOptions, type MountRequest, mergeHealthcheck, parseMemory, parseMountSpec, parseRestartPolicy, parseVolumeSpec } from './create-options.ts';
import { CONTAINER_NAME_RE, randomName } from './names.ts';
import { planNetworking } from './network-plan.ts';

export type ContainerCatalogDeps = Pick<ContainerServiceDeps, 'db' | 'images' | 'volumes' | 'events' | 'logs' | 'collect' | 'networks'> & {
  readonly records: ContainerRecords;
  readonly tasks: ContainerTasks;
  readonly files: ContainerFiles;
};

const withHealthcheck = (h: HealthConfig | undefined) => (h ? { Healthcheck: h } : {});

/** Containers as named objects: create, rename, remove, prune. */
export class ContainerCatalog {
  constructor(private readonly deps: ContainerCatalogDeps) {}

  async create(o: CreateOptions): Promise<{ Id: string; Warnings: string[] }> {
    const { records } = this.deps;
    const image = await this.deps.images.resolve(o.image);
    if (o.name !== undefined && !CONTAINER_NAME_RE.test(o.name)) {
      throw new InvalidParameterError(`Invalid container name (${o.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    if (o.platform) {
      const want = o.platform.toLowerCase();
      if (formatPlatform(image.platform) !== want && !(isWasiPlatform(image.platform) && /^wasi(p1|p2)?\/wasm(32)?$/.test(want))) {
        throw new InvalidParameterError(
          `image with reference ${o.image} was found but does not match the specified platform: wanted ${want}, actual: ${formatPlatform(image.platform)}`,
        );
      }
    }
    const name = o.name?.replace(/^\//, '') ?? randomName((n) => records.named(n) !== undefined);
    const clash = records.named(name);
    if (clash) {
      throw new ConflictError(
        `Conflict. The container name "/${name}" is already in use by container "${clash.Id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const restart = parseRestartPolicy(o.restart);
    if (o.autoRemove && restart.Name !== 'no') throw new InvalidParameterError('Conflicting options: --restart and --rm');
    const memory = parseMemory(o.memory);
    const ic = image.config.config ?? {};
    const net = planNetworking(o, ic.ExposedPorts ?? {}, this.deps.networks, records);
    const entrypoint =
      o.entrypoint === undefined
        ? [...(ic.Entrypoint ?? [])]
        : typeof o.entrypoint === 'string'
          ? o.entrypoint === ''
            ? []
            : [o.entrypoint]
          : [...o.entrypoint];
    const cmd = o.cmd?.length ? [...o.cmd] : o.entrypoint !== undefined ? [] : [...(ic.Cmd ?? [])];
    const argv = [...entrypoint, ...cmd];
    if (argv.length === 0) throw new InvalidParameterError('No command specified');

    const id = randomHex(64);
    const anon = () => randomHex(64);
    const requests: MountRequest[] = [...(o.volumes ?? []).map((v) => parseVolumeSpec(v, anon)), ...(o.mounts ?? []).map((m) => parseMountSpec(m, anon))];
    for (const target of Object.keys(ic.Volumes ?? {})) {
      if (!requests.some((r) => r.mount.Destination === target)) requests.push(parseVolumeSpec(target, anon));
    }
    const seen = new Set<string>();
    for (const r of requests) {
      if (seen.has(r.mount.Destination)) throw new InvalidParameterError(`Duplicate mount point: ${r.mount.Destination}`);
      seen.add(r.mount.Destination);
    }
    for (const r of requests) if (r.create) await this.deps.volumes.create({ name: r.create.name, anonymous: r.create.anonymous });

    const env = mergeEnv(ic.Env ?? [], o.env ?? []);
    const hostname = o.hostname ?? id.slice(0, 12);
    const now = new Date().toISOString();
    const rec: ContainerRecord = {
      Id: id,
      Name: `/${name}`,
      Created: now,
      Image: image.id,
      Platform: image.platform,
      Path: argv[0]!,
      Args: argv.slice(1),
      Config: {
        Hostname: hostname,
        User: o.user ?? ic.User ?? '',
        Env: env,
        Cmd: cmd.length ? cmd : null,
        Entrypoint: entrypoint.length ? entrypoint : null,
        WorkingDir: o.workdir ?? ic.WorkingDir ?? '',
        Labels: { ...(ic.Labels ?? {}), ...(o.labels ?? {}) },
        Tty: o.tty ?? false,
        OpenStdin: o.openStdin ?? false,
        StopSignal: o.stopSignal ?? ic.StopSignal ?? 'SIGTERM',
        StopTimeout: o.stopTimeout ?? 10,
        Image: o.image,
        Volumes: ic.Volumes ?? null,
        ExposedPorts: net.ExposedPorts,
        ...withHealthcheck(mergeHealthcheck(ic.Healthcheck, o.healthcheck)),
      },
      HostConfig: {
        RestartPolicy: restart,
        AutoRemove: o.autoRemove ?? false,
        Memory: memory,
        PlacementConstraints: [...(o.constraints ?? [])],
        NetworkMode: net.NetworkMode,
        PortBindings: net.PortBindings,
        PublishAllPorts: net.PublishAllPorts,
      },
      NetworkSettings: net.NetworkSettings,
      Mounts: requests.map((r) => r.mount),
      State: {
        Status: 'created',
        Running: false,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: 0,
        ExitCode: 0,
        Error: '',
        StartedAt: '0001-01-01T00:00:00Z',
        FinishedAt: '0001-01-01T00:00:00Z',
      },
      RestartCount: 0,
      Node: '',
    };
    await records.save(rec);
    this.deps.events.container('create', rec);
    return { Id: id, Warnings: [] };
  }

  async rename(idOrName: string, newName: string): Promise<void> {
    const { records } = this.deps;
    const rec = records.resolve(idOrName);
    const name = newName.replace(/^\//, '');
    if (!CONTAINER_NAME_RE.test(name)) throw new InvalidParameterError(`Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const clash = records.named(name);
    if (clash)
      throw new ConflictError(
        `Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${clash.Id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    const old = rec.Name;
    const networks = Object.fromEntries(
      Object.entries(rec.NetworkSettings.Networks).map(([k, e]) => [
        k,
        e.DNSNames ? { ...e, DNSNames: e.DNSNames.map((d) => (d === old.slice(1) ? name : d)) } : e,
      ]),
    );
    await records.save({ ...rec, Name: `/${name}`, NetworkSettings: { ...rec.NetworkSettings, Networks: networks } });
    await this.deps.networks.renameEndpoint(rec.Id, name);
    this.deps.events.container('rename', rec, { name, oldName: old });
  }

  async remove(idOrName: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    await this.removeRecord(idOrName, opts);
    await this.deps.collect();
  }

  /** `docker container prune`: every stopped container. */
  async prune(): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    let bytes = 0;
    for (const r of this.deps.records.all()) {
      if (r.State.Running || r.State.Restarting) continue;
      bytes += await this.deps.files.layerSize(r.Id);
      await this.removeRecord(r.Id, {});
      deleted.push(r.Id);
    }
    if (deleted.length) await this.deps.collect();
    return { ContainersDeleted: deleted, SpaceReclaimed: bytes };
  }

  /** `docker rm` without the garbage collection that frees the writable layer's file contents. */
  private async removeRecord(idOrName: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    const { db, records, volumes, logs, events } = this.deps;
    const rec = records.resolve(idOrName);
    await this.deps.tasks.endForRemoval(rec, opts.force ?? false);
    await records.delete(rec.Id);
    await deleteScope(db, containerScope(rec.Id));
    await logs.remove(rec.Id);
    events.container('destroy', rec);
    if (opts.volumes) {
      for (const m of rec.Mounts) {
        if (m.Type !== 'volume') continue;
        const v = await volumes.inspect(m.Name).catch(() => undefined);
        if (v?.Anonymous && records.usingVolume(m.Name).length === 0) await volumes.remove(m.Name).catch(() => undefined);
      }
    }
  }
}
