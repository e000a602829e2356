import { NotFoundError } from '../../core/errors.ts';
import type { MountSpec, NetworkSpec, ProcessSpec } from '../../core/protocol.ts';
import type { ContainerRecord } from '../../core/store/container-types.ts';
import type { Db } from '../../core/store/db.ts';
import type { SnapshotStore } from '../../core/store/snapshot-store.ts';
import { withDefaultEnv } from './container-env.ts';
import { CannotRunError, CommandNotFoundError } from './container-errors.ts';
import { containerTreeAndLayer, lookPath, resolveUser } from './container-fs.ts';
import { runnablePlatform } from './container-platform.ts';

/** One process to run in a container: its main process (`processId` is the container's ID) or an exec. */
export interface ProcessRequest {
  readonly processId: string;
  readonly argv: readonly string[];
  readonly env: readonly string[];
  readonly workdir: string;
  readonly user: string;
  readonly tty: boolean;
  readonly openStdin: boolean;
  /** The node to run on, asked for only once the process is known to be runnable. */
  readonly node: () => string;
  /** Its networking (see ContainerNetworking); absent: none at all, not even the network files. */
  readonly network?: NetworkSpec;
}

/** `{ network }` when there is one, for a ProcessRequest. */
export function withNetwork(network: NetworkSpec | undefined): { network?: NetworkSpec } {
  return network ? { network } : {};
}

export interface ProcessSpecDeps {
  readonly db: Db;
  /** The IndexedDB database the node opens itself. */
  readonly dbName: string;
  readonly snapshots: SnapshotStore;
}

/** Builds what a node needs to run a process of this container. */
export async function processSpec(deps: ProcessSpecDeps, rec: ContainerRecord, req: ProcessRequest): Promise<{ spec: ProcessSpec; node: string }> {
  const platform = runnablePlatform(rec.Platform);
  const image = await deps.db.get('images', rec.Image);
  if (!image) throw new NotFoundError(`No such image: ${rec.Config.Image}`);
  const { tree, layerEmpty } = await containerTreeAndLayer(deps.db, deps.snapshots, rec.Id, image.chainIds);
  const fullEnv = withDefaultEnv(req.env, rec.Config.Hostname, req.tty, req.network?.proxy);
  const exe = lookPath(tree, req.argv[0]!, fullEnv);
  if (!exe) throw new CommandNotFoundError(`exec: "${req.argv[0]}": executable file not found in $PATH`);
  const who = await resolveUser(deps.db, tree, req.user);
  if (typeof who === 'string') throw new CannotRunError(who);
  const mounts: MountSpec[] = rec.Mounts.map((m) => ({ kind: m.Type, source: m.Name, target: m.Destination, readOnly: !m.RW }));
  const main = req.processId === rec.Id;
  const node = req.node();
  const spec: ProcessSpec = {
    processId: req.processId,
    containerId: rec.Id,
    dbName: deps.dbName,
    chainIds: image.chainIds,
    mounts,
    argv: [exe, ...req.argv.slice(1)],
    env: fullEnv,
    cwd: req.workdir || '/',
    uid: who.uid,
    gid: who.gid,
    hostname: rec.Config.Hostname,
    tty: req.tty,
    openStdin: req.openStdin,
    memoryLimit: rec.HostConfig.Memory,
    platform,
    ...withNetwork(req.network),
    // With no process of the container running, nothing writes its layer before the node reads it.
    ...(main && layerEmpty ? { emptyLayer: true } : {}),
  };
  return { spec, node };
}
