import { cleanPath } from '../../core/clean-path.ts';
import { InvalidParameterError, NotFoundError } from '../../core/errors.ts';
import { type Digest, Sha256, sha256Of } from '../../core/oci/digest.ts';
import type { ContainerConfig, HistoryEntry } from '../../core/oci/manifest.ts';
import { formatPlatform, type Platform, parsePlatform } from '../../core/oci/platform.ts';
import type { Db } from '../../core/store/db.ts';
import { readFile } from '../../core/store/file-store.ts';
import type { ImageRecord } from '../../core/store/image-types.ts';
import type { SnapshotStore } from '../../core/store/snapshot-store.ts';
import type { ContainerService } from '../containers/container-service.ts';
import { parseGoDuration } from '../go-duration.ts';
import type { ImageService } from '../images/image-service.ts';
import { addArchiveFiles } from './add-archive.ts';
import { BuildStepError } from './build-errors.ts';
import { copyLayer } from './copy-step.ts';
import { ArgScope, platformArgs, type StageArgs } from './dockerfile/build-args.ts';
import { resolveCopy } from './dockerfile/copy-sources.ts';
import type { CommandForm, Dockerfile, Instruction, StageDeclaration } from './dockerfile/dockerfile-model.ts';
import { expandWord, expandWords } from './dockerfile/expand-word.ts';
import { parseDockerfile } from './dockerfile/parse-dockerfile.ts';
import { stagesNeeded } from './dockerfile/stage-graph.ts';
import { type StepImage, stepLayout, stepOfImage } from './image-layout.ts';
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
    const order = stagesNeeded(df, o.target);
    const states = new Map<number, StageState>();
    const totals = new Map(df.stages.map((s) => [s.index, 1 + s.instructions.filter((i) => LAYER_STEPS.has(i.kind)).length]));
    const multi = df.stages.length > 1;
    const label = (s: StageDeclaration, n: number) => `[${multi ? `${s.name ?? `stage-${s.index}`} ` : ''}${n}/${totals.get(s.index)}]`;

    for (const index of order) {
      const decl = df.stages[index]!;
      o.signal?.throwIfAborted();
      const lookupGlobal = scope.fromLookup;
      const from = expandWord(decl.from, lookupGlobal, df.directives.escape);
      const stagePlatform: Platform | undefined = decl.platform ? parsePlatform(expandWord(decl.platform, lookupGlobal, df.directives.escape)) : platform;
      // BuildKit shows a base it already has as CACHED.
      let pulled = false;
      const state = await timed(
        `${label(decl, 1)} FROM ${from}`,
        () => this.stageBase(decl, from, stagePlatform, { df, states, o, scope }, () => (pulled = true)),
        () => !pulled,
      );
      states.set(index, state);
      let n = 1;
      for (const ins of decl.instructions) {
        o.signal?.throwIfAborted();
        if (LAYER_STEPS.has(ins.kind)) n++;
        await this.instruction(state, ins, {
          df,
          o,
          states,
          created,
          epoch,
          timed,
          emit,
          name: `${label(decl, n)} ${ins.text}`,
        });
      }
    }
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
      case 'ONBUILD':
        await chain(`ONBUILD ${ins.trigger}`);
        return;
      case 'WORKDIR': {
        const dir = resolveDir(state.config.WorkingDir ?? '', word(ins.value));
        await this.layerStep(state, ctx, `WORKDIR ${dir}`, `WORKDIR ${dir}`, async () => {
          const tree = state.image ? await this.deps.snapshots.merged(state.image.chainIds) : undefined;
          if (tree?.entries.get(dir)?.type === 'dir') return undefined;
          return copyLayer([], dir, { mkdir: true, ...(ctx.epoch !== undefined ? { mtime: ctx.epoch } : {}) });
        });
        state.config = { ...state.config, WorkingDir: dir };
        return;
      }
      case 'RUN': {
        const argv = commandArgv(ins.command, state.shell);
        const runEnv = [...[...state.args.values()].filter(([k]) => !env.has(k)).map(([k, v]) => `${k}=${v}`), ...(state.config.Env ?? [])];
        const createdBy = `RUN ${argv.join(' ')} # buildkit`;
        await this.layerStep(state, ctx, createdBy, `RUN ${JSON.stringify(argv)} ${JSON.stringify(runEnv)}`, async (id) => {
          const base = await this.imageFor(state, ctx);
          const t0 = performance.now();
          return runStep(this.deps.containers, this.deps.db, {
            image: base.id,
            argv,
            env: runEnv,
            workdir: state.config.WorkingDir ?? '',
            user: state.config.User ?? '',
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
        if (ins.kind === 'ADD' && sources.some((x) => /^(https?|git):\/\//.test(x))) {
          throw new BuildStepError(`ADD ${sources.find((x) => /:\/\//.test(x))}: fetching a URL in ADD is not supported yet; download it into the context`);
        }
        let plan = await copyPlan(sources, dest, workdir, files, ins);
        if (ins.kind === 'ADD' && ins.from === undefined) plan = await unpackArchives(plan, sources, dest, workdir);
        const checksum = await contentChecksum(plan);
        const createdBy = `${ins.kind} ${sources.join(' ')} ${dest} # buildkit`;
        await this.layerStep(state, ctx, createdBy, `${ins.kind} ${describe} ${checksum} ${chown ?? ''} ${chmod ?? ''}`, async () =>
          copyLayer(plan, undefined, {
            ...(chown !== undefined ? { chown } : {}),
            ...(chmod !== undefined ? { chmod } : {}),
            ...(ctx.epoch !== undefined ? { mtime: ctx.epoch } : {}),
          }),
        );
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
    const shas = new Map<string, string | undefined>();
    for (const [path, e] of tree.entries) if (e.type === 'file') shas.set(path.replace(/^\/+/, ''), e.size ? e.sha : undefined);
    const db = this.deps.db;
    const read = async (p: string) => {
      const sha = shas.get(p);
      const data = sha === undefined ? new Uint8Array(0) : await readFile(db, sha);
      if (!data) throw new BuildStepError(`content of /${p} in ${from} is missing from the store`);
      return data;
    };
    return { files: { paths: [...shas.keys()], read }, describe: `from ${image.id}` };
  }
}

/** Files a COPY can read: their paths (context-relative, no leading slash), read on demand. */
interface FileSource {
  readonly paths: readonly string[];
  read(path: string): Promise<Uint8Array>;
}

interface StepContext {
  readonly df: Dockerfile;
  readonly o: BuildOptions;
  readonly states: Map<number, StageState>;
  readonly created: () => string;
  readonly epoch: number | undefined;
  readonly timed: <T>(name: string, work: (id: number) => Promise<T>, cached?: () => boolean) => Promise<T>;
  readonly emit: (p: BuildProgress) => void;
  /** The step's progress name: `[2/5] RUN make`. */
  readonly name: string;
}

/**
 * ADD's archives (local tars, plain or gzip) named as sources: unpacked into the destination
 * directory (`dest`, or the file's directory when `dest` ends in `/`), as Docker's ADD does.
 */
async function unpackArchives(plan: readonly PlannedFile[], sources: readonly string[], dest: string, workdir: string): Promise<PlannedFile[]> {
  const named = new Set(sources.map((x) => x.replace(/^(\.\/)+/, '').replace(/^\/+/, '')));
  const out: PlannedFile[] = [];
  for (const p of plan) {
    const dir = dest.endsWith('/') || sources.length > 1 ? p.to.slice(0, p.to.lastIndexOf('/')) || '/' : resolveDir(workdir, dest);
    const files = p.from !== undefined && named.has(p.from) ? await addArchiveFiles(p.data, dir) : undefined;
    out.push(...(files ?? [p]));
  }
  return out.sort((a, b) => (a.to < b.to ? -1 : 1));
}

/** What a COPY's cache key holds of its files: every destination and its bytes, in one hash. */
async function contentChecksum(plan: readonly { to: string; data: Uint8Array }[]): Promise<Digest> {
  const h = await Sha256.create();
  const enc = new TextEncoder();
  for (const p of plan) {
    h.update(enc.encode(`${p.to}\0${p.data.byteLength}\0`));
    h.update(p.data);
  }
  return h.digest();
}

/** Shell form runs as SHELL + [script]; exec form as written. */
function commandArgv(c: CommandForm, shell: readonly string[]): string[] {
  return c.form === 'exec' ? [...c.args] : [...shell, c.script];
}

function resolveDir(current: string, dir: string): string {
  return cleanPath(dir.startsWith('/') ? dir : `${current || '/'}/${dir}`);
}

/** A file a COPY writes: its bytes at its absolute destination, and its context path. */
interface PlannedFile {
  readonly from?: string;
  readonly to: string;
  readonly data: Uint8Array;
}

/** What a COPY writes: each source file's bytes at its absolute destination. */
async function copyPlan(
  sources: readonly string[],
  dest: string,
  workdir: string,
  files: FileSource,
  ins: Extract<Instruction, { kind: 'COPY' | 'ADD' }>,
): Promise<PlannedFile[]> {
  const inline = new Map(ins.heredocs.map((h) => [h.name, h]));
  const out: PlannedFile[] = [];
  const fromFiles: string[] = [];
  for (const s of sources) {
    const h = inline.get(s.replace(/^<<-?["']?|["']?$/g, ''));
    if (h) out.push({ to: resolveDir(workdir, dest.endsWith('/') ? `${dest}${h.name}` : dest), data: new TextEncoder().encode(h.content) });
    else fromFiles.push(s);
  }
  if (fromFiles.length) {
    for (const { from, to } of resolveCopy(fromFiles, dest, workdir, files.paths)) out.push({ from, to, data: await files.read(from) });
  }
  if (!out.length) throw new BuildStepError(`failed to compute cache key: failed to calculate checksum of ref: "/${sources[0] ?? ''}": not found`);
  return out.sort((a, b) => (a.to < b.to ? -1 : 1));
}
