import { cleanPath } from '../../core/clean-path.ts';
import { InvalidParameterError, NotFoundError } from '../../core/errors.ts';
import { type Digest, Sha256, sha256Of } from '../../core/oci/digest.ts';
import type { ContainerConfig, HistoryEntry } from '../../core/oci/manifest.ts';
import { formatPlatform, type Platform, parsePlatform } from '../../core/oci/platform.ts';
import type { Db } from '../../core/store/db.ts';
import { readFile } from '../../core/store/file-store.ts';
import type { ImageRecord } from '../../core/store/image-types.ts';
import type { SnapshotStore } from '../../core/store/snapshot-store.ts';
import type { TreeEntry } from '../../core/store/snapshot-types.ts';
import type { MergedTree } from '../../core/unpack/merged-tree.ts';
import type { ContainerService } from '../containers/container-service.ts';
import { parseGoDuration } from '../go-duration.ts';
import type { ImageService } from '../images/image-service.ts';
import type { VolumeService } from '../volumes/volume-service.ts';
import { addArchiveEntries } from './add-archive.ts';
import { BuildStepError } from './build-errors.ts';
import { type AccountFiles, chownIds } from './chown-ids.ts';
import { type CopiedEntry, copyLayer } from './copy-step.ts';
import { ArgScope, platformArgs, type StageArgs } from './dockerfile/build-args.ts';
import { resolveCopy } from './dockerfile/copy-sources.ts';
import type { CommandForm, Dockerfile, Instruction, StageDeclaration } from './dockerfile/dockerfile-model.ts';
import { parseDockerignore } from './dockerfile/dockerignore.ts';
import { expandWord, expandWords } from './dockerfile/expand-word.ts';
import { parseDockerfile } from './dockerfile/parse-dockerfile.ts';
import { parseRunMount, type RunMount } from './dockerfile/run-mounts.ts';
import { stageDependencies, stagesNeeded } from './dockerfile/stage-graph.ts';
import { type StepImage, stepLayout, stepOfImage } from './image-layout.ts';
import { fetchRemoteFile, type RemoteFetchOptions } from './remote-file.ts';
import { runStep } from './run-step.ts';

/** The files a build sees: context-relative paths (`src/a.ts`), `.dockerignore` already applied. */
export interface BuildContext {
  readonly files: ReadonlyMap<string, Uint8Array>;
}

export interface BuildOptions {
  readonly context: BuildContext;
  /** The Dockerfile's text; otherwise `dockerfile` (default `Dockerfile`) is read from the context. */
  readonly dockerfileText?: string;
  readonly dockerfile?: string;
  readonly tags?: readonly string[];
  readonly buildArgs?: Readonly<Record<string, string>>;
  readonly target?: string;
  readonly noCache?: boolean;
  /** Pull `FROM` images even when present. */
  readonly pull?: boolean;
  readonly platform?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly onProgress?: (p: BuildProgress) => void;
  readonly signal?: AbortSignal;
}

/** One vertex of BuildKit's progress: `#4 [2/5] RUN make`, its output lines, then DONE, CACHED or ERROR. */
export type BuildProgress =
  | {
      readonly kind: 'vertex';
      readonly id: number;
      readonly name: string;
      readonly status: 'started' | 'done' | 'cached' | 'error';
      readonly elapsed?: number;
      readonly error?: string;
    }
  | { readonly kind: 'log'; readonly id: number; readonly stream: 'stdout' | 'stderr'; readonly data: Uint8Array; readonly elapsed: number }
  | { readonly kind: 'status'; readonly id: number; readonly text: string };

export interface BuildResult {
  readonly id: Digest;
  readonly tags: readonly string[];
  readonly warnings: readonly string[];
}

export interface BuilderDeps {
  readonly images: ImageService;
  readonly containers: ContainerService;
  readonly snapshots: SnapshotStore;
  readonly db: Db;
  readonly volumes: VolumeService;
  /** How `ADD <url>` fetches: the proxy, and the size limit. */
  readonly remote: Omit<RemoteFetchOptions, 'signal'>;
}

/** A stage as the build goes through it. */
interface StageState {
  readonly decl: StageDeclaration;
  /** The last committed image; undefined while a `FROM scratch` stage has no layer. */
  image: ImageRecord | undefined;
  step: StepImage;
  config: ContainerConfig;
  /** Metadata instructions since the last commit: their history lines go into the next one. */
  pending: HistoryEntry[];
  key: string;
  shell: readonly string[];
  /** ARGs declared in the stage, for expansion and RUN's environment. */
  args: StageArgs;
  /** CMD was set in this stage (not only inherited). */
  cmdSet: boolean;
}

const DEFAULT_SHELL = ['/bin/sh', '-c'];
/** RUN cache mounts are volumes of these names and this label (its value is the cache id). */
const CACHE_MOUNT_PREFIX = 'buildkit-cache-';
const CACHE_MOUNT_LABEL = 'com.docker.build.cache-mount';
const DEFAULT_PLATFORM = 'linux/386';
/** Instructions that make a layer, and so a numbered step in the progress, as BuildKit shows them. */
const LAYER_STEPS = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);

const envMap = (env: readonly string[] | undefined) => new Map((env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as const));

/**
 * `docker build`: a Dockerfile's stages run in order; each RUN runs in a container of the stage's
 * image and its writable layer becomes the next layer; COPY and ADD write a layer from the context
 * or another stage. Each layer step's image is stored under its cache key (the parent's key, the
 * instruction as expanded, the environment, and for COPY the checksum of what it copies), so a
 * rebuild with nothing changed reuses every step.
 */
export class Builder {
  constructor(private readonly deps: BuilderDeps) {}

  async build(o: BuildOptions): Promise<BuildResult> {
    const warnings: string[] = [];
    let vertex = 0;
    const emit = o.onProgress ?? (() => undefined);
    const timed = async <T>(name: string, work: (id: number) => Promise<T>, cached?: () => boolean): Promise<T> => {
      const id = ++vertex;
      const t0 = performance.now();
      emit({ kind: 'vertex', id, name, status: 'started' });
      try {
        const r = await work(id);
        emit({ kind: 'vertex', id, name, status: cached?.() ? 'cached' : 'done', elapsed: (performance.now() - t0) / 1000 });
        return r;
      } catch (e) {
        emit({ kind: 'vertex', id, name, status: 'error', error: (e as Error).message, elapsed: (performance.now() - t0) / 1000 });
        throw e;
      }
    };
    const dockerfileName = o.dockerfile ?? 'Dockerfile';
    const text = await timed('[internal] load build definition from ' + dockerfileName, async () => {
      const t = o.dockerfileText ?? (o.context.files.get(dockerfileName) && new TextDecoder().decode(o.context.files.get(dockerfileName)));
      if (t === undefined) throw new NotFoundError(`failed to read dockerfile: open ${dockerfileName}: no such file or directory`);
      return t;
    });
    const df = parseDockerfile(text);
    // Without --platform a FROM takes the image as it is (or as a pull picks it); scratch is linux/386.
    const platform = o.platform ? parsePlatform(o.platform) : undefined;
    const buildArgs = { ...o.buildArgs };
    const epochArg = buildArgs['SOURCE_DATE_EPOCH'];
    if (epochArg !== undefined && !/^\d{1,12}$/.test(epochArg)) throw new InvalidParameterError(`invalid SOURCE_DATE_EPOCH: ${epochArg}`);
    const epoch = epochArg !== undefined ? Number(epochArg) : undefined;
    const created = () => new Date(epoch !== undefined ? epoch * 1000 : Date.now()).toISOString().replace('.000Z', 'Z');
    const scope = new ArgScope(buildArgs, platformArgs(platform ?? parsePlatform(DEFAULT_PLATFORM)), df.globalArgs, df.directives.escape);
    const order = stagesNeeded(df, o.target, scope.fromLookup);
    const states = new Map<number, StageState>();
    const totals = new Map(df.stages.map((s) => [s.index, 1 + s.instructions.filter((i) => LAYER_STEPS.has(i.kind)).length]));
    const multi = df.stages.length > 1;
    const label = (s: StageDeclaration, n: number) => `[${multi ? `${s.name ?? `stage-${s.index}`} ` : ''}${n}/${totals.get(s.index)}]`;

    // Stages run as soon as the stages they read are built, so independent ones run side by side
    // (their RUN containers land on different nodes). The first failure stops the others.
    const stop = new AbortController();
    const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
    const opts: BuildOptions = { ...o, signal };
    let failure: { error: unknown } | undefined;
    const built = new Map<number, Promise<void>>();
    for (const index of order) {
      const deps = stageDependencies(df, df.stages[index]!, scope.fromLookup).map((d) => built.get(d)!);
      const stage = async () => {
        await Promise.all(deps);
        try {
          await this.stage(df.stages[index]!, { df, o: opts, states, scope, platform, created, epoch, timed, emit, label, totals });
        } catch (error) {
          failure ??= { error };
          stop.abort();
          throw error;
        }
      };
      built.set(index, stage());
    }
    await Promise.allSettled(built.values());
    if (failure) throw failure.error;
    const unused = scope.unusedWarning();
    if (unused) warnings.push(unused);
    const final = states.get(order[order.length - 1]!)!;
    const result = await timed('exporting to image', async (id) => {
      const config: ContainerConfig = o.labels ? { ...final.config, Labels: { ...(final.config.Labels ?? {}), ...o.labels } } : final.config;
      // The history's times are not part of the key: an unchanged rebuild is the same image.
      const key = await sha256Of(`${final.key}\nimage ${JSON.stringify(config)} ${JSON.stringify(final.pending.map((h) => h.created_by))}`);
      let image = o.noCache ? undefined : await this.deps.images.buildCacheHit(key);
      if (!image) {
        const { layout } = await stepLayout(final.step, { history: final.pending, config, created: created() });
        image = await this.deps.images.importBuilt(layout, key, o.signal);
      }
      emit({ kind: 'status', id, text: `writing image ${image.id} done` });
      for (const t of o.tags ?? []) {
        await this.deps.images.tag(image.id, t);
        emit({ kind: 'status', id, text: `naming to ${t} done` });
      }
      return image;
    });
    return { id: result.id, tags: o.tags ?? [], warnings };
  }

  /** One stage: its base, the base image's ONBUILD triggers, then its own instructions. */
  private async stage(decl: StageDeclaration, ctx: StageContext): Promise<void> {
    const { df, o, scope, timed, label, totals } = ctx;
    o.signal?.throwIfAborted();
    const esc = df.directives.escape;
    const from = expandWord(decl.from, scope.fromLookup, esc);
    const platform: Platform | undefined = decl.platform ? parsePlatform(expandWord(decl.platform, scope.fromLookup, esc)) : ctx.platform;
    const isStage = df.stages.some((s) => s.name !== undefined && s.name === from.toLowerCase() && s.index < decl.index);
    // The base's triggers count in the step numbers, so a base already here is looked at first.
    const local = isStage || from === 'scratch' || o.pull ? undefined : await this.deps.images.resolve(from).catch(() => undefined);
    const countTriggers = (image: ImageRecord | undefined) => {
      const triggers = onBuildTriggers(image);
      totals.set(decl.index, 1 + [...triggers, ...decl.instructions].filter((i) => LAYER_STEPS.has(i.kind)).length);
      return triggers;
    };
    countTriggers(local);
    // BuildKit shows a base it already has as CACHED.
    let pulled = false;
    const state = await timed(
      `${label(decl, 1)} FROM ${from}`,
      () => this.stageBase(decl, from, platform, { df, states: ctx.states, o, scope }, () => (pulled = true)),
      () => !pulled,
    );
    const triggers = isStage ? [] : countTriggers(state.image);
    // Docker runs the triggers once: the image this stage makes does not carry them on.
    if (triggers.length) state.config = { ...state.config, OnBuild: null };
    ctx.states.set(decl.index, state);
    let n = 1;
    for (const [i, ins] of [...triggers, ...decl.instructions].entries()) {
      o.signal?.throwIfAborted();
      if (LAYER_STEPS.has(ins.kind)) n++;
      await this.instruction(state, ins, { ...ctx, name: `${label(decl, n)} ${i < triggers.length ? 'ONBUILD ' : ''}${ins.text}` });
    }
  }

  /** A stage's starting point: an image (pulled if missing, or with `--pull`), another stage, or scratch. */
  private async stageBase(
    decl: StageDeclaration,
    from: string,
    platform: Platform | undefined,
    { df, states, o, scope }: { df: Dockerfile; states: Map<number, StageState>; o: BuildOptions; scope: ArgScope },
    onPull: () => void,
  ): Promise<StageState> {
    const fresh = (image: ImageRecord | undefined, step: StepImage, key: string): StageState => ({
      decl,
      image,
      step,
      config: step.config,
      pending: [],
      key,
      shell: DEFAULT_SHELL,
      args: scope.stage(),
      cmdSet: false,
    });
    const stage = df.stages.find((s) => s.name !== undefined && s.name === from.toLowerCase() && s.index < decl.index);
    if (stage) {
      const s = states.get(stage.index)!;
      return { ...fresh(s.image, s.step, s.key), config: s.config, pending: [...s.pending], shell: s.shell, cmdSet: s.cmdSet };
    }
    if (from === 'scratch') {
      const p = platform ?? parsePlatform(DEFAULT_PLATFORM);
      return fresh(undefined, { platform: p, layers: [], diffIds: [], history: [], config: {}, created: '' }, `scratch ${formatPlatform(p)}`);
    }
    let image: ImageRecord | undefined;
    if (!o.pull) image = await this.deps.images.resolve(from).catch((e) => (e instanceof NotFoundError ? undefined : Promise.reject(e)));
    if (!image) {
      onPull();
      await this.deps.images.pull(from, { ...(platform ? { platform } : {}), ...(o.signal ? { signal: o.signal } : {}) });
      image = await this.deps.images.resolve(from);
    }
    return fresh(image, stepOfImage(image), image.id);
  }

  private async instruction(state: StageState, ins: Instruction, ctx: StepContext): Promise<void> {
    const { df } = ctx;
    const esc = df.directives.escape;
    const env = envMap(state.config.Env);
    // Docker: ENV wins over ARG of the same name in expansion.
    const lookup = (n: string) => env.get(n) ?? state.args.lookup(n);
    const word = (t: string) => expandWord(t, lookup, esc);
    const meta = (createdBy: string, change: Partial<ContainerConfig>) => {
      state.config = { ...state.config, ...change };
      state.pending.push({ created: ctx.created(), created_by: createdBy, comment: 'buildkit.dockerfile.v0', empty_layer: true });
    };
    const chain = async (what: string) => (state.key = await sha256Of(`${state.key}\n${what}`));
    switch (ins.kind) {
      case 'ARG':
        for (const a of ins.args) {
          const v = state.args.declare(a, (n) => env.get(n));
          await chain(`ARG ${a.name}=${v ?? ''}`);
        }
        return;
      case 'ENV': {
        const next = new Map(env);
        for (const [k, v] of ins.pairs)
          next.set(
            word(k),
            expandWord(v, (n) => next.get(n) ?? state.args.lookup(n), esc),
          );
        const Env = [...next].map(([k, v]) => `${k}=${v}`);
        meta(`ENV ${ins.pairs.map(([k]) => `${k}=${next.get(word(k))}`).join(' ')}`, { Env });
        await chain(`ENV ${JSON.stringify(Env)}`);
        return;
      }
      case 'LABEL': {
        const labels = { ...(state.config.Labels ?? {}) };
        for (const [k, v] of ins.pairs) labels[word(k)] = word(v);
        meta(`LABEL ${ins.pairs.map(([k, v]) => `${word(k)}=${word(v)}`).join(' ')}`, { Labels: labels });
        await chain(`LABEL ${JSON.stringify(labels)}`);
        return;
      }
      case 'USER':
        meta(`USER ${word(ins.value)}`, { User: word(ins.value) });
        await chain(`USER ${word(ins.value)}`);
        return;
      case 'STOPSIGNAL':
        meta(`STOPSIGNAL ${word(ins.value)}`, { StopSignal: word(ins.value) });
        await chain(`STOPSIGNAL ${word(ins.value)}`);
        return;
      case 'MAINTAINER':
        await chain(`MAINTAINER ${ins.value}`);
        return;
      case 'EXPOSE': {
        const ports = { ...(state.config.ExposedPorts ?? {}) };
        for (const p of ins.values.flatMap((v) => expandWords(v, lookup, esc))) ports[p.includes('/') ? p : `${p}/tcp`] = {};
        meta(
          `EXPOSE map[${Object.keys(ports)
            .map((p) => `${p}:{}`)
            .join(' ')}]`,
          { ExposedPorts: ports },
        );
        await chain(`EXPOSE ${JSON.stringify(ports)}`);
        return;
      }
      case 'VOLUME': {
        const vols = { ...(state.config.Volumes ?? {}) };
        for (const v of ins.values.flatMap((x) => expandWords(x, lookup, esc))) vols[v] = {};
        meta(`VOLUME [${Object.keys(vols).join(' ')}]`, { Volumes: vols });
        await chain(`VOLUME ${JSON.stringify(vols)}`);
        return;
      }
      case 'SHELL':
        state.shell = ins.args;
        meta(`SHELL [${ins.args.join(' ')}]`, {});
        await chain(`SHELL ${JSON.stringify(ins.args)}`);
        return;
      case 'CMD':
      case 'ENTRYPOINT': {
        const argv = commandArgv(ins.command, state.shell);
        // ENTRYPOINT drops a CMD inherited from the base image, not one this stage set (Docker's rule).
        const change: Partial<ContainerConfig> = ins.kind === 'CMD' ? { Cmd: argv } : { Entrypoint: argv, ...(state.cmdSet ? {} : { Cmd: null }) };
        if (ins.kind === 'CMD') state.cmdSet = true;
        meta(`${ins.kind} ${JSON.stringify(argv)}`, change);
        await chain(`${ins.kind} ${JSON.stringify(argv)}`);
        return;
      }
      case 'HEALTHCHECK': {
        const c = ins.check;
        const ns = (d: string | undefined) => (d === undefined ? 0 : parseGoDuration(word(d)));
        const Healthcheck = c
          ? {
              Test: c.command.form === 'exec' ? ['CMD', ...c.command.args] : ['CMD-SHELL', c.command.script],
              Interval: ns(c.interval),
              Timeout: ns(c.timeout),
              StartPeriod: ns(c.startPeriod),
              StartInterval: ns(c.startInterval),
              Retries: c.retries === undefined ? 0 : Number(word(c.retries)),
            }
          : { Test: ['NONE'] };
        meta(`HEALTHCHECK ${JSON.stringify(Healthcheck)}`, { Healthcheck });
        await chain(`HEALTHCHECK ${JSON.stringify(Healthcheck)}`);
        return;
      }
      case 'ONBUILD': {
        const OnBuild = [...(state.config.OnBuild ?? []), ins.trigger];
        meta(`ONBUILD ${ins.trigger}`, { OnBuild });
        await chain(`ONBUILD ${JSON.stringify(OnBuild)}`);
        return;
      }
      case 'WORKDIR': {
        const dir = resolveDir(state.config.WorkingDir ?? '', word(ins.value));
        await this.layerStep(state, ctx, `WORKDIR ${dir}`, `WORKDIR ${dir}`, async () => {
          const tree = await this.stageTree(state);
          if (tree?.entries.get(dir)?.type === 'dir') return undefined;
          return copyLayer([{ to: dir, type: 'dir' }], {
            existing: (p) => tree?.entries.get(p),
            ...(ctx.epoch !== undefined ? { mtime: ctx.epoch } : {}),
          });
        });
        state.config = { ...state.config, WorkingDir: dir };
        return;
      }
      case 'RUN': {
        const argv = commandArgv(ins.command, state.shell);
        const runEnv = [...[...state.args.values()].filter(([k]) => !env.has(k)).map(([k, v]) => `${k}=${v}`), ...(state.config.Env ?? [])];
        const createdBy = `RUN ${argv.join(' ')} # buildkit`;
        const mounts = (ins.mounts ?? []).map((m) => parseRunMount(word(m)));
        await this.layerStep(state, ctx, createdBy, `RUN ${JSON.stringify(argv)} ${JSON.stringify(runEnv)} ${JSON.stringify(mounts)}`, async (id) => {
          const base = await this.imageFor(state, ctx);
          const t0 = performance.now();
          return runStep(this.deps.containers, this.deps.db, {
            image: base.id,
            argv,
            env: runEnv,
            workdir: state.config.WorkingDir ?? '',
            user: state.config.User ?? '',
            mounts: await Promise.all(mounts.map((m) => this.containerMount(m))),
            onOutput: (stream, data) => ctx.emit({ kind: 'log', id, stream, data, elapsed: (performance.now() - t0) / 1000 }),
            ...(ctx.o.signal ? { signal: ctx.o.signal } : {}),
            ...(ctx.epoch !== undefined ? { mtime: ctx.epoch } : {}),
          });
        });
        return;
      }
      case 'COPY':
      case 'ADD': {
        const { files, describe } = await this.copySource(state, ins, ctx, word);
        const dest = word(ins.dest);
        const sources = ins.sources.map(word);
        const chown = ins.chown !== undefined ? word(ins.chown) : undefined;
        const chmod = ins.chmod !== undefined ? word(ins.chmod) : undefined;
        const workdir = state.config.WorkingDir || '/';
        const urls = ins.kind === 'ADD' && ins.from === undefined ? sources.filter((x) => /^[a-z][a-z0-9+.-]*:\/\//i.test(x)) : [];
        const local = sources.filter((x) => !urls.includes(x));
        let plan = local.length ? await copyPlan(local, dest, workdir, files, ins) : [];
        if (ins.kind === 'ADD' && ins.from === undefined) plan = await unpackArchives(plan, local, dest, workdir);
        for (const url of urls) plan.push(await this.remoteFile(url, dest, workdir, sources.length > 1, ins, ctx));
        const checksum = await contentChecksum(plan);
        const createdBy = `${ins.kind} ${sources.join(' ')} ${dest} # buildkit`;
        await this.layerStep(state, ctx, createdBy, `${ins.kind} ${describe} ${checksum} ${chown ?? ''} ${chmod ?? ''}`, async () => {
          const tree = await this.stageTree(state);
          return copyLayer(plan, {
            existing: (p) => tree?.entries.get(p),
            ...(chown !== undefined ? { owner: chownIds(chown, await this.accountFiles(tree)) } : {}),
            ...(chmod !== undefined ? { chmod } : {}),
            ...(ctx.epoch !== undefined ? { mtime: ctx.epoch } : {}),
          });
        });
        return;
      }
    }
  }

  /** A layer step: its cached image if the key is known, otherwise `make`'s layer committed under that key. */
  private async layerStep(
    state: StageState,
    ctx: StepContext,
    createdBy: string,
    what: string,
    make: (id: number) => Promise<Uint8Array | undefined>,
  ): Promise<void> {
    const key = await sha256Of(`${state.key}\n${what}`);
    let hit = ctx.o.noCache ? undefined : await this.deps.images.buildCacheHit(key);
    const cached = hit !== undefined;
    await ctx.timed(
      ctx.name,
      async (id) => {
        if (hit) return;
        const layer = await make(id);
        const history: HistoryEntry[] = [
          ...state.pending,
          { created: ctx.created(), created_by: createdBy, comment: 'buildkit.dockerfile.v0', ...(layer ? {} : { empty_layer: true }) },
        ];
        const { layout } = await stepLayout(state.step, { history, config: state.config, ...(layer ? { layer } : {}), created: ctx.created() });
        hit = await this.deps.images.importBuilt(layout, key, ctx.o.signal);
      },
      () => cached,
    );
    state.image = hit;
    state.step = stepOfImage(hit!);
    state.config = hit!.config.config ?? {};
    state.pending = [];
    state.key = key;
  }

  /**
   * `ADD <url>`: fetched (through the proxy) before the step's cache key is known, since the key
   * is the content's checksum, as BuildKit keys it. The file is written 0600 with the
   * Last-Modified time, and is not unpacked, as Docker does.
   */
  private async remoteFile(
    url: string,
    dest: string,
    workdir: string,
    several: boolean,
    ins: Extract<Instruction, { kind: 'COPY' | 'ADD' }>,
    ctx: StepContext,
  ): Promise<PlannedEntry> {
    if (/^git:|\.git(#.*)?$/.test(url)) throw new BuildStepError(`ADD ${url}: git sources are not supported; clone it into the context`);
    const f = await fetchRemoteFile(url, { ...this.deps.remote, ...(ctx.o.signal ? { signal: ctx.o.signal } : {}) });
    const want = ins.flags['checksum'];
    if (want !== undefined) {
      const got = await sha256Of(f.data);
      if (got !== want) throw new BuildStepError(`digest mismatch for ${url}: ${got} (expected: ${want})`);
    }
    const to = resolveDir(workdir, dest.endsWith('/') || several ? `${dest}/${f.name}` : dest);
    return { to, type: 'file', data: f.data, mode: 0o600, ...(f.mtime !== undefined ? { mtime: f.mtime } : {}) };
  }

  /**
   * A RUN mount as the step's container mounts it: a cache is a named volume (one per cache id),
   * so it outlives the step and the build, and `docker builder prune` removes it.
   */
  private async containerMount(m: RunMount): Promise<string> {
    if (m.type === 'tmpfs') return `type=tmpfs,target=${m.target}`;
    const name = `${CACHE_MOUNT_PREFIX}${(await sha256Of(m.id)).slice('sha256:'.length, 'sha256:'.length + 16)}`;
    await this.deps.volumes.create({ name, labels: { [CACHE_MOUNT_LABEL]: m.id } });
    return `type=volume,source=${name},target=${m.target}${m.readOnly ? ',readonly' : ''}`;
  }

  /** `docker builder prune`: the RUN cache mounts no container uses. */
  async pruneCacheMounts(): Promise<number> {
    let removed = 0;
    for (const v of await this.deps.volumes.list({ dangling: true })) {
      if (v.Labels[CACHE_MOUNT_LABEL] === undefined) continue;
      await this.deps.volumes.remove(v.Name);
      removed++;
    }
    return removed;
  }

  /** The stage's current root, or none for a `FROM scratch` stage with no layer yet. */
  private async stageTree(state: StageState): Promise<MergedTree | undefined> {
    return state.image ? this.deps.snapshots.merged(state.image.chainIds) : undefined;
  }

  /** The stage's `/etc/passwd` and `/etc/group`, for `--chown` by name. */
  private async accountFiles(tree: MergedTree | undefined): Promise<AccountFiles> {
    if (!tree) return {};
    const text = async (path: string) => {
      const e = tree.entries.get(path);
      if (e?.type !== 'file') return undefined;
      const data = e.size ? await readFile(this.deps.db, e.sha!) : new Uint8Array(0);
      return data && new TextDecoder().decode(data);
    };
    const [passwd, group] = await Promise.all([text('/etc/passwd'), text('/etc/group')]);
    return { ...(passwd !== undefined ? { passwd } : {}), ...(group !== undefined ? { group } : {}) };
  }

  /** The stage's current state as an image a RUN container can start from. */
  private async imageFor(state: StageState, ctx: StepContext): Promise<ImageRecord> {
    if (state.image && !state.pending.length && state.image.config.config === state.config) return state.image;
    const key = await sha256Of(`${state.key}\nconfig ${JSON.stringify(state.config)}`);
    const hit = await this.deps.images.buildCacheHit(key);
    if (hit) return hit;
    const { layout } = await stepLayout(state.step, { history: [], config: state.config, created: ctx.created() });
    return this.deps.images.importBuilt(layout, key, ctx.o.signal);
  }

  /** The files a COPY reads: the context's, another stage's root, or an image's (`--from`). */
  private async copySource(
    state: StageState,
    ins: Extract<Instruction, { kind: 'COPY' | 'ADD' }>,
    ctx: StepContext,
    word: (t: string) => string,
  ): Promise<{ files: FileSource; describe: string }> {
    if (ins.from === undefined) {
      const context = ctx.o.context.files;
      return { files: { paths: [...context.keys()], read: async (p) => context.get(p)! }, describe: 'context' };
    }
    const from = word(ins.from).toLowerCase();
    const stage = ctx.df.stages.find((s) => s.name === from || String(s.index) === from);
    let image: ImageRecord | undefined;
    if (stage) {
      if (stage.index >= state.decl.index) throw new InvalidParameterError(`invalid from flag value ${from}: refers to current or later build stage`);
      image = ctx.states.get(stage.index)?.image;
      if (!image) return { files: { paths: [], read: async () => new Uint8Array(0) }, describe: `stage ${from}` };
    } else {
      image = await this.deps.images.resolve(from).catch(async (e) => {
        if (!(e instanceof NotFoundError)) throw e;
        await this.deps.images.pull(from, ctx.o.signal ? { signal: ctx.o.signal } : {});
        return this.deps.images.resolve(from);
      });
    }
    // Only the files the COPY names are read, not the whole root.
    const tree = await this.deps.snapshots.merged(image.chainIds);
    const entries = new Map<string, TreeEntry>();
    for (const [path, e] of tree.entries) if ((e.type === 'file' || e.type === 'dir' || e.type === 'symlink') && path !== '/') entries.set(path.slice(1), e);
    const parents = new Set([...entries.keys()].map((p) => p.slice(0, p.lastIndexOf('/'))));
    const db = this.deps.db;
    const read = async (p: string) => {
      const e = entries.get(p);
      const data = e?.size ? await readFile(db, e.sha!) : new Uint8Array(0);
      if (!data) throw new BuildStepError(`content of /${p} in ${from} is missing from the store`);
      return data;
    };
    // What a COPY can name: files, symlinks and empty directories (a directory with entries is implied by them).
    const paths = [...entries].filter(([p, e]) => e.type !== 'dir' || !parents.has(p)).map(([p]) => p);
    return { files: { paths, read, entry: (p) => entries.get(p) }, describe: `from ${image.id}` };
  }
}

/** Files a COPY can read: their paths (context-relative, no leading slash), read on demand. */
interface FileSource {
  readonly paths: readonly string[];
  read(path: string): Promise<Uint8Array>;
  /** What a stage's or image's tree says of a path (type, mode, owner); the context has no such thing. */
  entry?(path: string): TreeEntry | undefined;
}

/** What the stages of one build share. */
interface StageContext {
  readonly df: Dockerfile;
  readonly o: BuildOptions;
  readonly states: Map<number, StageState>;
  readonly scope: ArgScope;
  /** `--platform`, for stages whose FROM names none. */
  readonly platform: Platform | undefined;
  readonly created: () => string;
  readonly epoch: number | undefined;
  readonly timed: <T>(name: string, work: (id: number) => Promise<T>, cached?: () => boolean) => Promise<T>;
  readonly emit: (p: BuildProgress) => void;
  readonly label: (s: StageDeclaration, n: number) => string;
  /** Each stage's step count, for `[n/total]`. */
  readonly totals: Map<number, number>;
}

interface StepContext extends StageContext {
  /** The step's progress name: `[2/5] RUN make`. */
  readonly name: string;
}

/** The ONBUILD triggers an image's config carries, parsed as the instructions they are. */
function onBuildTriggers(image: ImageRecord | undefined): readonly Instruction[] {
  const triggers = image?.config.config?.OnBuild ?? [];
  if (!triggers.length) return [];
  return parseDockerfile(`FROM scratch\n${triggers.join('\n')}\n`).stages[0]!.instructions;
}

/**
 * ADD's archives (local tars, plain or gzip) named as sources: unpacked into the destination
 * directory (`dest`, or the file's directory when `dest` ends in `/`), as Docker's ADD does.
 */
async function unpackArchives(plan: readonly PlannedEntry[], sources: readonly string[], dest: string, workdir: string): Promise<PlannedEntry[]> {
  const named = new Set(sources.map((x) => x.replace(/^(\.\/)+/, '').replace(/^\/+/, '')));
  const out: PlannedEntry[] = [];
  for (const p of plan) {
    const dir = dest.endsWith('/') || sources.length > 1 ? p.to.slice(0, p.to.lastIndexOf('/')) || '/' : resolveDir(workdir, dest);
    const unpacked = p.type === 'file' && p.from !== undefined && named.has(p.from) ? await addArchiveEntries(p.data, dir) : undefined;
    out.push(...(unpacked ?? [p]));
  }
  return out.sort((a, b) => (a.to < b.to ? -1 : 1));
}

/** What a COPY's cache key holds of what it copies: every destination, its metadata and its bytes, in one hash. */
async function contentChecksum(plan: readonly CopiedEntry[]): Promise<Digest> {
  const h = await Sha256.create();
  const enc = new TextEncoder();
  for (const p of plan) {
    const data = p.type === 'file' ? p.data : new Uint8Array(0);
    const link = 'linkTarget' in p ? p.linkTarget : '';
    h.update(enc.encode(`${p.to}\0${p.type}\0${p.mode ?? ''}:${p.uid ?? ''}:${p.gid ?? ''}:${p.mtime ?? ''}\0${link}\0${data.byteLength}\0`));
    h.update(data);
  }
  return h.digest();
}

/** Files of the source that are one inode stay hard links in the copy (to the first of them), as BuildKit copies them. */
function keepHardlinks(out: Map<string, PlannedEntry>, files: FileSource): void {
  const inodes = new Map<string, PlannedEntry[]>();
  for (const p of out.values()) {
    const e = p.type === 'file' && p.from !== undefined ? files.entry?.(p.from) : undefined;
    if (!e) continue;
    const key = e.hardlinkTo ?? `/${p.from}`;
    inodes.set(key, [...(inodes.get(key) ?? []), p]);
  }
  for (const group of inodes.values()) {
    const [first, ...rest] = group.sort((a, b) => (a.to < b.to ? -1 : 1));
    for (const r of rest) out.set(r.to, { ...r, type: 'hardlink', linkTarget: first!.to });
  }
}

/** Shell form runs as SHELL + [script]; exec form as written. */
function commandArgv(c: CommandForm, shell: readonly string[]): string[] {
  return c.form === 'exec' ? [...c.args] : [...shell, c.script];
}

function resolveDir(current: string, dir: string): string {
  return cleanPath(dir.startsWith('/') ? dir : `${current || '/'}/${dir}`);
}

/** An entry a COPY writes, and the source path it comes from. */
type PlannedEntry = CopiedEntry & { readonly from?: string };

/**
 * What a COPY writes: each source entry at its absolute destination. From a stage or an image,
 * entries keep their type, mode and owner, and the directories between a copied directory and
 * its files keep theirs.
 */
async function copyPlan(
  sources: readonly string[],
  dest: string,
  workdir: string,
  files: FileSource,
  ins: Extract<Instruction, { kind: 'COPY' | 'ADD' }>,
): Promise<PlannedEntry[]> {
  const inline = new Map(ins.heredocs.map((h) => [h.name, h]));
  const out = new Map<string, PlannedEntry>();
  const fromFiles: string[] = [];
  for (const s of sources) {
    const h = inline.get(s.replace(/^<<-?["']?|["']?$/g, ''));
    if (h) {
      const to = resolveDir(workdir, dest.endsWith('/') ? `${dest}${h.name}` : dest);
      out.set(to, { to, type: 'file', data: new TextEncoder().encode(h.content) });
    } else fromFiles.push(s);
  }
  const meta = (from: string, to: string) => {
    const e = files.entry?.(from);
    return { e, meta: e ? { from, to, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, mtime: e.mtime } : { from, to } };
  };
  const planned = async (from: string, to: string): Promise<PlannedEntry> => {
    const { e, meta: m } = meta(from, to);
    if (e?.type === 'symlink') return { ...m, type: 'symlink', linkTarget: e.linkTarget ?? '' };
    if (e?.type === 'dir') return { ...m, type: 'dir' };
    return { ...m, type: 'file', data: await files.read(from) };
  };
  if (fromFiles.length) {
    const exclude = ins.excludes?.length ? parseDockerignore(ins.excludes.join('\n')) : undefined;
    for (const c of resolveCopy(fromFiles, dest, workdir, files.paths, exclude)) {
      out.set(c.to, await planned(c.from, c.to));
      if (!c.under) continue;
      // The directories between the copied one and the file are copied too (`--chown` applies to them).
      const dirs = c.from
        .slice(c.under.from ? c.under.from.length + 1 : 0)
        .split('/')
        .slice(0, -1);
      for (let i = 1; i <= dirs.length; i++) {
        const rel = dirs.slice(0, i).join('/');
        const to = cleanPath(`${c.under.to}/${rel}`);
        if (!out.has(to)) out.set(to, { ...meta(c.under.from ? `${c.under.from}/${rel}` : rel, to).meta, type: 'dir' });
      }
    }
  }
  if (!out.size) throw new BuildStepError(`failed to compute cache key: failed to calculate checksum of ref: "/${sources[0] ?? ''}": not found`);
  keepHardlinks(out, files);
  return [...out.values()].sort((a, b) => (a.to < b.to ? -1 : 1));
}
