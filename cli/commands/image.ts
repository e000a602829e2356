// `docker image …` and its top-level aliases: pull, images, inspect, history, rmi, tag, prune,
// save, load. Each does what the docker CLI does with the Engine API's answer.
import type { Engine, HistoryItem, ImageSummary, PullProgress, PullRequest } from '../../engine/index.ts';
import { type Digest, familiarName, familiarTagged, formatReference, NotFoundError, parseReference, shortId } from '../../engine/index.ts';
import { CliError, type Command, type CommandContext, type CommandGroup, daemonError } from '../command.ts';
import { formatList, goStruct } from '../format-template.ts';
import { ellipsis, goTimeString, humanSize, rfc3339, timeAgo } from '../humanize.ts';
import { filterFlag, inspectEach, LIST_FORMAT_FLAG, listFormat, objectFormat, objectFormatFlag, parseFilters } from '../output.ts';
import { ProgressRenderer } from '../progress-renderer.ts';
import { confirmPrune, PRUNE_FORCE_FLAG } from '../prompt.ts';

export const imageGroup: CommandGroup = { name: 'image', short: 'Manage images' };

const NONE = '<none>';

/** A name with neither tag nor digest: docker says which tag it assumed. */
function isNameOnly(name: string): boolean {
  return !name.includes('@') && !/:[^/]*$/.test(name);
}

function pullRequest(ctx: CommandContext, onProgress?: (p: PullProgress) => void): PullRequest {
  return { ...(ctx.signal ? { signal: ctx.signal } : {}), ...(onProgress ? { onProgress } : {}) };
}

/**
 * Pulls with docker's progress output on `write`: `TAG: Pulling from REPO`, the layers, the digest
 * and the status line (`docker pull` prints it on stdout, `docker run` on stderr).
 */
/** A NAME argument as a reference; a malformed one is the CLI's own error. */
function referenceArg(name: string): ReturnType<typeof parseReference> {
  try {
    return parseReference(name);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

export async function pullImage(
  ctx: CommandContext,
  name: string,
  write: (s: string) => void,
  opts: { platform?: string; quiet?: boolean } = {},
): Promise<void> {
  const ref = referenceArg(name);
  const progress = new ProgressRenderer(write, { tty: ctx.io.isTTY, columns: ctx.io.columns });
  if (!opts.quiet) progress.message({ id: ref.digest ?? ref.tag ?? 'latest', status: `Pulling from ${ref.repository}` });
  const outcome = await ctx.engine.images.pull(name, {
    ...pullRequest(ctx, opts.quiet ? undefined : (p) => progress.pull(p)),
    ...(opts.platform ? { platform: opts.platform } : {}),
  });
  if (!opts.quiet) {
    const what = outcome.status === 'downloaded' ? 'Downloaded newer image for' : 'Image is up to date for';
    progress.message({ status: `Status: ${what} ${familiarTagged(ref)}` });
  }
}

const push: Command = {
  names: ['image push', 'push'],
  usage: '[OPTIONS] NAME[:TAG]',
  short: 'Upload an image to a registry',
  args: { exactly: 1 },
  common: 6,
  flags: [{ name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' }],
  async run(ctx) {
    const name = ctx.args[0]!;
    const ref = referenceArg(name);
    const quiet = ctx.flags.bool('quiet');
    const progress = new ProgressRenderer(ctx.io.stdout, { tty: ctx.io.isTTY, columns: ctx.io.columns });
    if (!quiet) progress.message({ status: `The push refers to repository [${familiarName(ref)}]` });
    const r = await ctx.engine.images.push(name, {
      ...(quiet
        ? {}
        : {
            onProgress: (p) =>
              progress.message({ id: p.id, status: p.status, progress: p.current !== undefined ? { current: p.current, total: p.total ?? 0 } : {} }),
          }),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    if (quiet) ctx.out(familiarTagged(ref));
    else progress.message({ status: `${r.tag}: digest: ${r.digest} size: ${r.size}` });
  },
};

const pull: Command = {
  names: ['image pull', 'pull'],
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  short: 'Download an image from a registry',
  args: { exactly: 1 },
  common: 5,
  flags: [
    { name: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
  ],
  async run(ctx) {
    const name = ctx.args[0]!;
    const ref = referenceArg(name);
    const quiet = ctx.flags.bool('quiet');
    if (!quiet && isNameOnly(name)) ctx.out('Using default tag: latest');
    await pullImage(ctx, name, ctx.io.stdout, { platform: ctx.flags.string('platform'), quiet });
    ctx.out(formatReference(ref));
  },
};

// ------------------------------------------------------------------ images

const IMAGE_HEADERS = {
  Containers: 'CONTAINERS',
  CreatedAt: 'CREATED AT',
  CreatedSince: 'CREATED',
  Digest: 'DIGEST',
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  SharedSize: 'SHARED SIZE',
  Size: 'SIZE',
  Tag: 'TAG',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'SIZE',
};

/** docker's imageContext: one row per repository:tag (and per digest with --digests). */
function imageRows(images: readonly ImageSummary[], opts: { digests: boolean; trunc: boolean }): object[] {
  const rows: object[] = [];
  for (const img of images) {
    const row = (repo: string, tag: string, digest: string) =>
      goStruct(
        {
          Containers: 'N/A',
          CreatedAt: goTimeString(img.Created),
          CreatedSince: timeAgo(img.Created),
          Digest: digest,
          ID: opts.trunc ? shortId(img.Id) : img.Id,
          Repository: repo,
          SharedSize: 'N/A',
          Size: humanSize(img.Size, 3),
          Tag: tag,
          UniqueSize: 'N/A',
          VirtualSize: humanSize(img.Size, 3),
        },
        '*formatter.imageContext',
      );
    if (img.RepoTags.length === 0 && img.RepoDigests.length === 0) {
      rows.push(row(NONE, NONE, NONE));
      continue;
    }
    const tags = new Map<string, string[]>();
    for (const t of img.RepoTags) {
      const r = parseReference(t);
      tags.set(familiarName(r), [...(tags.get(familiarName(r)) ?? []), r.tag ?? 'latest']);
    }
    const digests = new Map<string, string[]>();
    for (const d of img.RepoDigests) {
      const at = d.lastIndexOf('@');
      const repo = familiarName(parseReference(d.slice(0, at)));
      digests.set(repo, [...(digests.get(repo) ?? []), d.slice(at + 1)]);
    }
    for (const [repo, repoTags] of tags) {
      const ds = opts.digests ? (digests.get(repo) ?? []) : [];
      digests.delete(repo);
      for (const tag of repoTags) {
        if (ds.length === 0) rows.push(row(repo, tag, NONE));
        for (const d of ds) rows.push(row(repo, tag, d));
      }
    }
    for (const [repo, ds] of digests) {
      if (opts.digests) for (const d of ds) rows.push(row(repo, NONE, d));
      else rows.push(row(repo, NONE, ''));
    }
  }
  return rows;
}

async function filteredImages(engine: Engine, filterValues: readonly string[], nameArg: string | undefined): Promise<ImageSummary[]> {
  const filters = parseFilters(filterValues, ['dangling', 'reference', 'label', 'before', 'since']);
  const dangling = filters.get('dangling')?.map((v) => v.toLowerCase());
  if (dangling?.some((v) => v !== 'true' && v !== 'false')) throw new Error(`invalid filter 'dangling=${dangling.join(',')}'`);
  const references = [...(filters.get('reference') ?? []), ...(nameArg ? [nameArg] : [])];
  let images: ImageSummary[];
  if (references.length > 1) {
    // Several references match any of them: one engine query each, merged in list order.
    const hits = new Set<string>();
    for (const r of references) for (const s of await engine.images.list({ reference: r })) hits.add(s.Id);
    images = (await engine.images.list()).filter((s) => hits.has(s.Id));
  } else {
    images = await engine.images.list({ ...(references[0] ? { reference: references[0] } : {}) });
  }
  if (dangling?.length === 1) images = images.filter((s) => (s.RepoTags.length === 0) === (dangling[0] === 'true'));
  for (const l of filters.get('label') ?? []) {
    const eq = l.indexOf('=');
    images = images.filter((s) => (eq < 0 ? l in s.Labels : s.Labels[l.slice(0, eq)] === l.slice(eq + 1)));
  }
  const all = filters.has('before') || filters.has('since') ? await engine.images.list() : [];
  const createdOf = async (name: string) => {
    const id = (await engine.images.inspect(name)).Id;
    return all.find((s) => s.Id === id)!.Created;
  };
  for (const b of filters.get('before') ?? []) {
    const t = await createdOf(b);
    images = images.filter((s) => s.Created < t);
  }
  for (const b of filters.get('since') ?? []) {
    const t = await createdOf(b);
    images = images.filter((s) => s.Created > t);
  }
  return images;
}

const ls: Command = {
  names: ['image ls', 'image list', 'images'],
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  short: 'List images',
  args: { max: 1 },
  common: 7,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all images (default hides intermediate images)' },
    { name: 'digests', type: 'bool', description: 'Show digests' },
    filterFlag(),
    LIST_FORMAT_FLAG,
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
  ],
  async run(ctx) {
    const images = await filteredImages(ctx.engine, ctx.flags.strings('filter'), ctx.args[0]);
    const digests = ctx.flags.bool('digests');
    const format = listFormat(ctx.flags, {
      table: digests
        ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
        : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}',
      quiet: '{{.ID}}',
    });
    ctx.io.stdout(formatList(format, imageRows(images, { digests, trunc: !ctx.flags.bool('no-trunc') }), IMAGE_HEADERS));
  },
};

// ------------------------------------------------------------------ inspect, history

/** As the docker client reports it, a missing image reads `Error: No such image: NAME`. */
async function inspectImage(engine: Engine, name: string): Promise<unknown> {
  try {
    return await engine.images.inspect(name);
  } catch (e) {
    if (e instanceof NotFoundError) throw new CliError(`Error: No such image: ${name}`);
    throw e;
  }
}

const inspect: Command = {
  names: ['image inspect'],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Display detailed information on one or more images',
  args: { min: 1 },
  flags: [objectFormatFlag(true)],
  async run(ctx) {
    await inspectEach(ctx.args, (n) => inspectImage(ctx.engine, n), objectFormat(ctx.flags), ctx.io.stdout);
  },
};

const HISTORY_HEADERS = { Comment: 'COMMENT', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', CreatedSince: 'CREATED', ID: 'IMAGE', Size: 'SIZE' };

function historyRows(items: readonly HistoryItem[], opts: { human: boolean; trunc: boolean }): object[] {
  return items.map((h) => {
    const createdBy = h.CreatedBy.replaceAll('\t', ' ');
    return goStruct(
      {
        Comment: h.Comment,
        CreatedAt: rfc3339(h.Created),
        CreatedBy: opts.trunc ? ellipsis(createdBy, 45) : createdBy,
        CreatedSince: opts.human ? timeAgo(h.Created) : rfc3339(h.Created),
        ID: opts.trunc && h.Id.startsWith('sha256:') ? shortId(h.Id as Digest) : h.Id,
        Size: opts.human ? humanSize(h.Size, 3) : String(h.Size),
      },
      '*formatter.historyContext',
    );
  });
}

const history: Command = {
  names: ['image history', 'history'],
  usage: '[OPTIONS] IMAGE',
  short: 'Show the history of an image',
  args: { exactly: 1 },
  flags: [
    LIST_FORMAT_FLAG,
    { name: 'human', short: 'H', type: 'bool', default: true, description: 'Print sizes and dates in human readable format' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
  ],
  async run(ctx) {
    const items = await ctx.engine.images.history(ctx.args[0]!);
    const human = ctx.flags.bool('human');
    const format = listFormat(ctx.flags, {
      table: `table {{.ID}}\t{{.${human ? 'CreatedSince' : 'CreatedAt'}}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}`,
      quiet: '{{.ID}}',
    });
    ctx.io.stdout(formatList(format, historyRows(items, { human, trunc: !ctx.flags.bool('no-trunc') }), HISTORY_HEADERS));
  },
};

// ------------------------------------------------------------------ rm, tag, prune

const rm: Command = {
  names: ['image rm', 'image remove', 'rmi'],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Remove one or more images',
  args: { min: 1 },
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force removal of the image' },
    // Accepted for scripts' sake: images here have no parent images to keep.
    { name: 'no-prune', type: 'bool', description: 'Do not delete untagged parents' },
  ],
  async run(ctx) {
    const errors: string[] = [];
    for (const name of ctx.args) {
      try {
        for (const d of await ctx.engine.images.remove(name, { force: ctx.flags.bool('force') })) {
          ctx.out(d.Deleted ? `Deleted: ${d.Deleted}` : `Untagged: ${d.Untagged}`);
        }
      } catch (e) {
        if (ctx.signal?.aborted) throw e;
        errors.push(daemonError(e));
      }
    }
    if (errors.length) throw new CliError(errors.join('\n'));
  },
};

const tag: Command = {
  names: ['image tag', 'tag'],
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  short: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  args: { exactly: 2 },
  flags: [],
  async run(ctx) {
    const [source, target] = ctx.args as [string, string];
    let digest;
    try {
      digest = parseReference(target).digest;
    } catch (e) {
      throw new CliError(`Error parsing reference: "${target}" is not a valid repository/tag: ${(e as Error).message}`);
    }
    if (digest) throw new CliError('refusing to create a tag with a digest reference');
    await ctx.engine.images.tag(source, target);
  },
};

const prune: Command = {
  names: ['image prune'],
  usage: '[OPTIONS]',
  short: 'Remove unused images',
  args: 'none',
  flags: [{ name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images, not just dangling ones' }, PRUNE_FORCE_FLAG],
  async run(ctx) {
    const all = ctx.flags.bool('all');
    const warning = all
      ? 'WARNING! This will remove all images without at least one container associated to them.'
      : 'WARNING! This will remove all dangling images.';
    if (!(await confirmPrune(ctx, warning))) return 0;
    const report = await ctx.engine.images.prune({ all });
    if (report.ImagesDeleted.length) {
      ctx.out('Deleted Images:');
      for (const d of report.ImagesDeleted) ctx.out(d.Deleted ? `deleted: ${d.Deleted}` : `untagged: ${d.Untagged}`);
      ctx.out('');
    }
    ctx.out(`Total reclaimed space: ${humanSize(report.SpaceReclaimed)}`);
  },
};

// ------------------------------------------------------------------ save, load

const save: Command = {
  names: ['image save', 'save'],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  args: { min: 1 },
  flags: [{ name: 'output', short: 'o', type: 'string', description: 'Write to a file, instead of STDOUT' }],
  async run(ctx) {
    const output = ctx.flags.string('output');
    // Our stdout carries text only, so an archive always needs -o.
    if (!output) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    ctx.io.files.set(output, await ctx.engine.images.save(ctx.args));
  },
};

function isTar(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 512 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar';
}

/** `docker load -i URL`: an OCI layout directory (served as static files) or an archive. */
async function loadUrl(engine: Engine, url: string, req: PullRequest): Promise<string[]> {
  const u = new URL(url);
  if (u.pathname.endsWith('/')) return engine.images.loadLayout(u.href, req);
  if (/\/(index\.json|oci-layout)$/.test(u.pathname)) return engine.images.loadLayout(new URL('./', u).href, req);
  let res: Response;
  try {
    res = await fetch(u, { ...(req.signal ? { signal: req.signal } : {}) });
  } catch (e) {
    if (req.signal?.aborted) throw e;
    throw new CliError(`failed to fetch ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new CliError(`failed to fetch ${url}: HTTP ${res.status} ${res.statusText}`.trimEnd());
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (isTar(bytes)) return engine.images.load(bytes, req);
  // Not an archive: a layout directory named without its trailing slash.
  return engine.images.loadLayout(`${u.href}/`, req);
}

const load: Command = {
  names: ['image load', 'load'],
  usage: '[OPTIONS]',
  short: 'Load an image from a tar archive or STDIN',
  args: 'none',
  flags: [
    { name: 'input', short: 'i', type: 'string', description: 'Read from tar archive file (or an http(s) URL of one, or of an OCI layout), instead of STDIN' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the load output' },
  ],
  async run(ctx) {
    const input = ctx.flags.string('input');
    if (!input) throw new CliError('requested load from stdin, but stdin is empty');
    // As docker: progress bars only on a terminal.
    const quiet = ctx.flags.bool('quiet') || !ctx.io.isTTY;
    const progress = new ProgressRenderer(ctx.io.stdout, { tty: true, columns: ctx.io.columns });
    const req = pullRequest(
      ctx,
      quiet
        ? undefined
        : (p) => {
            if (p.kind === 'layer' && p.status === 'Downloading')
              progress.message({ id: p.id, status: 'Loading layer', progress: { current: p.current ?? 0, total: p.total ?? 0 } });
          },
    );
    let lines: string[];
    if (/^https?:\/\//i.test(input)) {
      lines = await loadUrl(ctx.engine, input, req);
    } else {
      const bytes = ctx.io.files.get(input);
      if (!bytes) throw new CliError(`open ${input}: no such file or directory`);
      lines = await ctx.engine.images.load(bytes, req);
    }
    for (const l of lines) ctx.out(l);
  },
};

export const imageCommands: readonly Command[] = [pull, push, ls, inspect, history, rm, tag, prune, save, load];
