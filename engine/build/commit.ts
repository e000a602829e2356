import { InvalidParameterError } from '../../core/errors.ts';
import type { ContainerConfig } from '../../core/oci/manifest.ts';
import { type Platform, parsePlatform } from '../../core/oci/platform.ts';
import type { Db } from '../../core/store/db.ts';
import type { ImageRecord } from '../../core/store/image-types.ts';
import { gunzipAll } from '../../core/unpack/decompress.ts';
import type { ContainerService } from '../containers/container-service.ts';
import type { ImageService } from '../images/image-service.ts';
import type { Instruction } from './dockerfile/dockerfile-model.ts';
import { expandWord, expandWords } from './dockerfile/expand-word.ts';
import { parseDockerfile } from './dockerfile/parse-dockerfile.ts';
import { stepLayout, stepOfImage } from './image-layout.ts';
import { writableLayerTar } from './writable-layer.ts';

export interface CommitOptions {
  /** `REPO[:TAG]`. */
  readonly tag?: string;
  readonly author?: string;
  readonly comment?: string;
  /** `-c`: Dockerfile instructions applied to the config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL). */
  readonly changes?: readonly string[];
}

export interface ImportOptions extends CommitOptions {
  /** Default linux/386. */
  readonly platform?: string;
}

const COMMIT_CHANGES = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'USER', 'VOLUME', 'WORKDIR', 'STOPSIGNAL', 'ONBUILD']);
const now = () => new Date().toISOString();

/** `-c` instructions over a config, as `docker commit --change` and `docker import --change` apply them. */
function applyChanges(config: ContainerConfig, changes: readonly string[]): ContainerConfig {
  if (!changes.length) return config;
  const df = parseDockerfile(`FROM scratch\n${changes.join('\n')}\n`);
  let c = { ...config };
  const env = () => new Map((c.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as const));
  for (const ins of df.stages[0]!.instructions as readonly Instruction[]) {
    if (!COMMIT_CHANGES.has(ins.kind)) throw new InvalidParameterError(`${ins.kind.toLowerCase()} is not a valid change command`);
    const e = env();
    const word = (t: string) => expandWord(t, (n) => e.get(n), '\\');
    switch (ins.kind) {
      case 'CMD':
      case 'ENTRYPOINT': {
        const argv = ins.command.form === 'exec' ? [...ins.command.args] : ['/bin/sh', '-c', ins.command.script];
        c = ins.kind === 'CMD' ? { ...c, Cmd: argv } : { ...c, Entrypoint: argv };
        break;
      }
      case 'ENV':
        for (const [k, v] of ins.pairs) e.set(word(k), word(v));
        c = { ...c, Env: [...e].map(([k, v]) => `${k}=${v}`) };
        break;
      case 'LABEL':
        c = { ...c, Labels: { ...(c.Labels ?? {}), ...Object.fromEntries(ins.pairs.map(([k, v]) => [word(k), word(v)])) } };
        break;
      case 'EXPOSE':
        c = {
          ...c,
          ExposedPorts: {
            ...(c.ExposedPorts ?? {}),
            ...Object.fromEntries(ins.values.flatMap((v) => expandWords(v, (n) => e.get(n))).map((p) => [p.includes('/') ? p : `${p}/tcp`, {}])),
          },
        };
        break;
      case 'VOLUME':
        c = { ...c, Volumes: { ...(c.Volumes ?? {}), ...Object.fromEntries(ins.values.flatMap((v) => expandWords(v, (n) => e.get(n))).map((p) => [p, {}])) } };
        break;
      case 'USER':
        c = { ...c, User: word(ins.value) };
        break;
      case 'WORKDIR':
        c = { ...c, WorkingDir: word(ins.value) };
        break;
      case 'STOPSIGNAL':
        c = { ...c, StopSignal: word(ins.value) };
        break;
      case 'ONBUILD':
        c = { ...c, OnBuild: [...(c.OnBuild ?? []), ins.trigger] };
        break;
    }
  }
  return c;
}

/**
 * `docker commit`: a container's writable layer as one more layer on its image, with its config
 * (and `-c` changes); the history line names its command, as Docker's does.
 */
export async function commitContainer(
  deps: { images: ImageService; containers: ContainerService; db: Db },
  idOrName: string,
  o: CommitOptions,
): Promise<ImageRecord> {
  const rec = deps.containers.inspect(idOrName);
  const image = (await deps.db.get('images', rec.Image)) ?? (await deps.images.resolve(rec.Image));
  const layer = await writableLayerTar(deps.db, rec.Id);
  const { Hostname: _h, Image: _i, Tty: _t, OpenStdin: _o, StopTimeout: _s, ...kept } = rec.Config;
  const config = applyChanges({ ...kept, Volumes: rec.Config.Volumes ?? null } as ContainerConfig, o.changes ?? []);
  const created = now();
  const { layout } = await stepLayout(stepOfImage(image), {
    history: [
      { created, created_by: [rec.Path, ...rec.Args].join(' '), ...(o.author ? { author: o.author } : {}), ...(o.comment ? { comment: o.comment } : {}) },
    ],
    config,
    layer,
    created,
  });
  const committed = await deps.images.importBuilt(layout);
  if (o.tag) await deps.images.tag(committed.id, o.tag);
  return committed;
}

/** `docker image import`: a root filesystem tar (plain or gzip) as a one-layer image. */
export async function importTarball(images: ImageService, tar: Uint8Array, o: ImportOptions): Promise<ImageRecord> {
  const plain = tar[0] === 0x1f && tar[1] === 0x8b ? await gunzipAll(tar) : tar;
  const platform: Platform = parsePlatform(o.platform ?? 'linux/386');
  const created = now();
  const { layout } = await stepLayout(
    { platform, layers: [], diffIds: [], history: [], config: {}, created },
    { history: [{ created, created_by: '', comment: o.comment ?? 'Imported from -' }], config: applyChanges({}, o.changes ?? []), layer: plain, created },
  );
  const imported = await images.importBuilt(layout);
  if (o.tag) await images.tag(imported.id, o.tag);
  return imported;
}
