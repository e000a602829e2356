import type { Digest } from '../../core/oci/digest.ts';
import type { Db } from '../../core/store/db.ts';
import { BUILD_STEP_LABEL, type ContainerService } from '../containers/container-service.ts';
import { BuildStepError } from './build-errors.ts';
import { writableLayerTar } from './writable-layer.ts';

export interface RunStep {
  readonly image: Digest;
  readonly argv: readonly string[];
  readonly env: readonly string[];
  readonly workdir: string;
  readonly user: string;
  /** `--mount` specs of the step's container (RUN --mount's caches and tmpfs). */
  readonly mounts: readonly string[];
  readonly onOutput: (stream: 'stdout' | 'stderr', data: Uint8Array) => void;
  readonly signal?: AbortSignal;
  /** SOURCE_DATE_EPOCH: no time in the layer is later. */
  readonly mtime?: number;
}

/**
 * A RUN: a container of the step's image runs the command; its writable layer, as a layer tar, is
 * the step's result. The container is removed whatever happens.
 */
export async function runStep(containers: ContainerService, db: Db, step: RunStep): Promise<Uint8Array> {
  const [path, ...args] = step.argv;
  const { Id } = await containers.create({
    image: step.image,
    entrypoint: [path!],
    cmd: args,
    env: step.env,
    ...(step.workdir ? { workdir: step.workdir } : {}),
    ...(step.user ? { user: step.user } : {}),
    ...(step.mounts.length ? { mounts: step.mounts } : {}),
    labels: { [BUILD_STEP_LABEL]: 'step' },
  });
  const abort = () => void containers.kill(Id, 'SIGKILL').catch(() => undefined);
  step.signal?.addEventListener('abort', abort, { once: true });
  try {
    await containers.start(Id, { onStdout: (d) => step.onOutput('stdout', d), onStderr: (d) => step.onOutput('stderr', d) });
    // After the start: `wait` answers at once for a container that is not running (yet, or any more).
    const { StatusCode } = await containers.wait(Id);
    step.signal?.throwIfAborted();
    if (StatusCode !== 0) {
      throw new BuildStepError(`process "${step.argv.join(' ')}" did not complete successfully: exit code: ${StatusCode}`);
    }
    return await writableLayerTar(db, Id, step.mtime === undefined ? {} : { mtime: step.mtime });
  } finally {
    step.signal?.removeEventListener('abort', abort);
    await containers.remove(Id, { force: true }).catch(() => undefined);
  }
}
