// `docker system …` and friends: info, version, events, df, prune, check.

import type { EngineEvent, StorageReport, StoreCheckReport, StoreProblem } from '../../engine/index.ts';
import { API_VERSION, ENGINE_VERSION, type Engine } from '../../engine/index.ts';
import type { Command, CommandGroup } from '../command.ts';
import { formatList, goStruct, Template } from '../format-template.ts';
import { goQuote, humanSize, rfc3339NanoFixed, timeAgo } from '../humanize.ts';
import { filterFlag, LIST_FORMAT_FLAG, objectFormat, objectFormatFlag, parseFilters } from '../output.ts';
import { confirmPrune, PRUNE_FORCE_FLAG } from '../prompt.ts';
import { alignColumns } from '../table.ts';
import { CLI_VERSION } from '../version.ts';

export const systemGroup: CommandGroup = { name: 'system', short: 'Manage Docker' };

const CLIENT = { Version: CLI_VERSION, Context: 'browser', Debug: false };
const OS = 'browser';
const ARCH = 'js';

const info: Command = {
  names: ['system info', 'info'],
  usage: '[OPTIONS]',
  short: 'Display system-wide information',
  args: 'none',
  common: 12,
  flags: [objectFormatFlag(true)],
  async run(ctx) {
    const i = await ctx.engine.info();
    const format = objectFormat(ctx.flags);
    if (format) {
      ctx.out(Template.parse(format).execute({ ...i, ClientInfo: CLIENT }));
      return;
    }
    const lines = [
      'Client:',
      ` Version:    ${CLIENT.Version}`,
      ` Context:    ${CLIENT.Context}`,
      ` Debug Mode: ${CLIENT.Debug}`,
      '',
      'Server:',
      ` Containers: ${i.Containers}`,
      `  Running: ${i.ContainersRunning}`,
      `  Paused: ${i.ContainersPaused}`,
      `  Stopped: ${i.ContainersStopped}`,
      ` Images: ${i.Images}`,
      ` Nodes: ${i.Nodes}`,
      ` Server Version: ${i.ServerVersion}`,
      ` Storage Driver: ${i.Driver}`,
      ...(i.StorageUsage !== undefined ? [` Storage Usage: ${humanSize(i.StorageUsage)}`] : []),
      ...(i.StorageQuota !== undefined ? [` Storage Quota: ${humanSize(i.StorageQuota)}`] : []),
      ...(i.StoragePersisted !== undefined ? [` Storage Persisted: ${i.StoragePersisted}`] : []),
      ` Name: ${i.Name}`,
    ];
    ctx.out(lines.join('\n'));
  },
};

// docker's version template, less the Go build details a browser engine does not have.
const VERSION_TEMPLATE = `{{with .Client -}}
Client:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 Version:\t{{.Version}}
 API version:\t{{.ApiVersion}}
 OS/Arch:\t{{.Os}}/{{.Arch}}
 Context:\t{{.Context}}
{{- end}}

{{- with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  Version:\t{{.Version}}
  API version:\t{{index .Details "ApiVersion"}}
  OS/Arch:\t{{index .Details "Os"}}/{{index .Details "Arch"}}
 {{- end}}
{{- end}}`;

const version: Command = {
  names: ['version'],
  usage: '[OPTIONS]',
  short: 'Show the Docker version information',
  args: 'none',
  common: 11,
  flags: [objectFormatFlag(true)],
  async run(ctx) {
    const data = {
      Client: {
        Platform: { Name: '' },
        Version: CLI_VERSION,
        ApiVersion: API_VERSION,
        DefaultAPIVersion: API_VERSION,
        Os: OS,
        Arch: ARCH,
        Context: CLIENT.Context,
      },
      Server: {
        Platform: { Name: 'Browser Container Engine' },
        Components: [{ Name: 'Engine', Version: ENGINE_VERSION, Details: { ApiVersion: API_VERSION, Os: OS, Arch: ARCH } }],
        Version: ENGINE_VERSION,
        ApiVersion: API_VERSION,
        Os: OS,
        Arch: ARCH,
      },
    };
    const format = objectFormat(ctx.flags);
    if (format) ctx.out(Template.parse(format).execute(data));
    else ctx.out(alignColumns(Template.parse(VERSION_TEMPLATE).execute(data), { minWidth: 20, padding: 1 }));
  },
};

/** docker's default event line: `TIME TYPE ACTION ID (k=v, …)`. */
function eventLine(e: EngineEvent): string {
  const attrs = Object.keys(e.Actor.Attributes)
    .sort()
    .map((k) => `${k}=${e.Actor.Attributes[k]}`);
  return `${rfc3339NanoFixed(e.timeNano)} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs.length ? ` (${attrs.join(', ')})` : ''}`;
}

/** `v` names the image ID `id` (in full or by a prefix of its hex, as docker accepts IDs). */
function isIdPrefix(id: string, v: string): boolean {
  const hex = v.replace(/^sha256:/, '');
  return id.startsWith('sha256:') && hex.length > 0 && id.slice(7).startsWith(hex);
}

function eventMatcher(filterValues: readonly string[]): (e: EngineEvent) => boolean {
  const f = parseFilters(filterValues, ['type', 'event', 'image', 'label', 'container', 'volume', 'network', 'node']);
  const any = (key: string, test: (v: string) => boolean) => !f.has(key) || f.get(key)!.some(test);
  const imageNames = (e: EngineEvent) => [e.Actor.ID, e.Actor.Attributes['name'], e.Actor.Attributes['image']].filter((x): x is string => !!x);
  return (e) =>
    any('type', (v) => e.Type === v) &&
    any('event', (v) => e.Action === v) &&
    any('image', (v) => e.Type === 'image' && imageNames(e).some((n) => n === v || n.replace(/:[^/:]*$/, '') === v || isIdPrefix(n, v))) &&
    any('container', (v) => e.Type === 'container' && (e.Actor.ID.startsWith(v) || e.Actor.Attributes['name'] === v)) &&
    any('volume', (v) => e.Type === 'volume' && e.Actor.ID === v) &&
    any('network', (v) => e.Type === 'network' && (e.Actor.ID.startsWith(v) || e.Actor.Attributes['name'] === v)) &&
    any('node', (v) => e.Type === 'node' && (e.Actor.ID.startsWith(v) || e.Actor.Attributes['name'] === v)) &&
    any('label', (v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? v in e.Actor.Attributes : e.Actor.Attributes[v.slice(0, eq)] === v.slice(eq + 1);
    });
}

const events: Command = {
  names: ['system events', 'events'],
  usage: '[OPTIONS]',
  short: 'Get real time events from the server',
  args: 'none',
  flags: [filterFlag(), objectFormatFlag(false)],
  async run(ctx) {
    const matches = eventMatcher(ctx.flags.strings('filter'));
    const format = objectFormat(ctx.flags);
    const template = format === undefined ? undefined : Template.parse(format);
    for await (const e of ctx.engine.events(ctx.signal)) {
      if (matches(e)) ctx.out(template ? template.execute(e) : eventLine(e));
    }
  },
};

// ------------------------------------------------------------------ df

interface Usage {
  images: { id: string; repoTags: readonly string[]; created: number; size: number; containers: number }[];
  containers: { id: string; image: string; command: string; volumes: number; size: number; created: number; status: string; names: string; active: boolean }[];
  volumes: { name: string; links: number; size: number }[];
}

/** What `docker system df` counts: images, containers' writable layers, volumes. */
async function diskUsage(engine: Engine): Promise<Usage> {
  const all = engine.containers.list({ all: true });
  const images = (await engine.images.list()).map((img) => ({
    id: img.Id as string,
    repoTags: img.RepoTags,
    created: img.Created,
    size: img.Size,
    containers: all.filter((c) => c.ImageID === img.Id).length,
  }));
  const containers = [];
  for (const c of all) {
    containers.push({
      id: c.Id,
      image: c.Image,
      command: c.Command,
      volumes: c.Mounts.filter((m) => m.Type === 'volume').length,
      size: await engine.containers.layerSize(c.Id),
      created: c.Created,
      status: c.Status,
      names: c.Names.map((n) => n.replace(/^\//, '')).join(','),
      active: c.State === 'running' || c.State === 'restarting' || c.State === 'paused',
    });
  }
  const volumes = [];
  for (const v of await engine.volumes.list())
    volumes.push({ name: v.Name, links: engine.containers.usingVolume(v.Name).length, size: await engine.volumes.size(v.Name) });
  return { images, containers, volumes };
}

/** `Browser storage: 1.2GB used, 8.8GB left of 10GB (persistent)`. */
function storageLine(s: StorageReport): string {
  const kept = s.persisted ? 'persistent' : 'best-effort: the browser may evict it under storage pressure';
  return `Browser storage: ${humanSize(s.usage)} used, ${humanSize(Math.max(0, s.quota - s.usage))} left of ${humanSize(s.quota)} (${kept})`;
}

/** docker's `SIZE (PERCENT%)`, the percentage left out when there is nothing at all. */
function reclaimable(bytes: number, total: number): string {
  return total > 0 ? `${humanSize(bytes)} (${Math.trunc((bytes * 100) / total)}%)` : humanSize(bytes);
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

const DF_HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

function dfRows(u: Usage): object[] {
  const row = (Type: string, total: number, active: number, size: number, reclaim: string) =>
    goStruct({ Type, TotalCount: String(total), Active: String(active), Size: humanSize(size), Reclaimable: reclaim }, '*formatter.diskUsageContext');
  const imageSize = sum(u.images.map((i) => i.size));
  const usedImages = u.images.filter((i) => i.containers > 0);
  const containerSize = sum(u.containers.map((c) => c.size));
  const volumeSize = sum(u.volumes.map((v) => v.size));
  return [
    row('Images', u.images.length, usedImages.length, imageSize, reclaimable(imageSize - sum(usedImages.map((i) => i.size)), imageSize)),
    row(
      'Containers',
      u.containers.length,
      u.containers.filter((c) => c.active).length,
      containerSize,
      reclaimable(sum(u.containers.filter((c) => !c.active).map((c) => c.size)), containerSize),
    ),
    row(
      'Local Volumes',
      u.volumes.length,
      u.volumes.filter((v) => v.links > 0).length,
      volumeSize,
      reclaimable(sum(u.volumes.filter((v) => v.links === 0).map((v) => v.size)), volumeSize),
    ),
    row('Build Cache', 0, 0, 0, humanSize(0)),
  ];
}

function dfVerbose(u: Usage): string {
  const table = (header: string[], rows: string[][]) => alignColumns([header, ...rows].map((r) => `${r.join('\t')}\n`).join(''));
  const images = u.images.flatMap((i) =>
    (i.repoTags.length ? i.repoTags : ['<none>:<none>']).map((t) => {
      const at = t.lastIndexOf(':');
      return [t.slice(0, at), t.slice(at + 1), i.id.slice(7, 19), timeAgo(i.created), humanSize(i.size), humanSize(0), humanSize(i.size), String(i.containers)];
    }),
  );
  const containers = u.containers.map((c) => [
    c.id.slice(0, 12),
    c.image,
    goQuote(c.command.length > 20 ? `${[...c.command].slice(0, 19).join('')}…` : c.command),
    String(c.volumes),
    humanSize(c.size),
    timeAgo(c.created),
    c.status,
    c.names,
  ]);
  const volumes = u.volumes.map((v) => [v.name, String(v.links), humanSize(v.size)]);
  return (
    `Images space usage:\n\n${table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], images)}\n` +
    `Containers space usage:\n\n${table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'], containers)}\n` +
    `Local Volumes space usage:\n\n${table(['VOLUME NAME', 'LINKS', 'SIZE'], volumes)}\n` +
    `Build cache usage: 0B\n`
  );
}

const df: Command = {
  names: ['system df'],
  usage: '[OPTIONS]',
  short: 'Show docker disk usage',
  args: 'none',
  flags: [LIST_FORMAT_FLAG, { name: 'verbose', short: 'v', type: 'bool', description: 'Show detailed information on space usage' }],
  async run(ctx) {
    const usage = await diskUsage(ctx.engine);
    if (ctx.flags.bool('verbose') && !ctx.flags.string('format')) {
      ctx.io.stdout(dfVerbose(usage));
      return;
    }
    const f = ctx.flags.string('format');
    const table = f === '' || f === 'table';
    const format = table ? 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}' : f === 'json' ? '{{json .}}' : f;
    ctx.io.stdout(formatList(format, dfRows(usage), DF_HEADERS));
    // The browser's limit on all of it, which a Docker host's disk has no counterpart of here.
    const storage = table ? await ctx.engine.storage() : undefined;
    if (storage) ctx.io.stdout(`\n${storageLine(storage)}\n`);
  },
};

// ------------------------------------------------------------------ prune

const prune: Command = {
  names: ['system prune'],
  usage: '[OPTIONS]',
  short: 'Remove unused data',
  args: 'none',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images not just dangling ones' },
    PRUNE_FORCE_FLAG,
    { name: 'volumes', type: 'bool', description: 'Prune anonymous volumes' },
  ],
  async run(ctx) {
    const all = ctx.flags.bool('all');
    const volumes = ctx.flags.bool('volumes');
    const items = [
      'all stopped containers',
      'all networks not used by at least one container',
      ...(volumes ? ['all anonymous volumes not used by at least one container'] : []),
      all ? 'all images without at least one container associated to them' : 'all dangling images',
    ];
    if (!(await confirmPrune(ctx, `WARNING! This will remove:\n${items.map((i) => `  - ${i}`).join('\n')}\n`))) return 0;
    let reclaimed = 0;
    const c = await ctx.engine.containers.prune();
    reclaimed += c.SpaceReclaimed;
    if (c.ContainersDeleted.length) ctx.out(`Deleted Containers:\n${c.ContainersDeleted.join('\n')}\n`);
    const n = await ctx.engine.networks.prune();
    if (n.NetworksDeleted.length) ctx.out(`Deleted Networks:\n${n.NetworksDeleted.join('\n')}\n`);
    if (volumes) {
      const v = await ctx.engine.volumes.prune();
      reclaimed += v.SpaceReclaimed;
      if (v.VolumesDeleted.length) ctx.out(`Deleted Volumes:\n${v.VolumesDeleted.join('\n')}\n`);
    }
    const i = await ctx.engine.images.prune({ all });
    reclaimed += i.SpaceReclaimed;
    if (i.ImagesDeleted.length)
      ctx.out(`Deleted Images:\n${i.ImagesDeleted.map((d) => (d.Deleted ? `deleted: ${d.Deleted}` : `untagged: ${d.Untagged}`)).join('\n')}\n`);
    ctx.out(`Total reclaimed space: ${humanSize(reclaimed)}`);
  },
};

// ------------------------------------------------------------------ check

/** `missing  image sha256:… (busybox:latest): layer 1 snapshot sha256:… is missing: repaired: …` */
function problemLine(p: StoreProblem, repairing: boolean): string {
  const line = `${p.kind.padEnd(8)} ${p.object}: ${p.message}`;
  if (!repairing) return p.repair ? `${line} (--repair would ${p.repair})` : line;
  return p.repaired ? `${line}: repaired: ${p.repair}` : `${line}: not repaired`;
}

function checkSummary(r: StoreCheckReport, repairing: boolean): string {
  const c = r.checked;
  const what = `checked ${c.images} images, ${c.tags} tags, ${c.snapshots} snapshots, ${c.files} files, ${c.blobs} blobs, ${c.containers} containers, ${c.volumes} volumes`;
  if (r.problems.length === 0) return `${what}: no problems found`;
  const repaired = r.problems.filter((p) => p.repaired).length;
  return `${what}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}${repairing ? `, ${repaired} repaired, ${r.remaining} left` : ''}`;
}

const check: Command = {
  names: ['system check'],
  usage: '[OPTIONS]',
  short: "Check the engine's store for missing and dangling data",
  args: 'none',
  flags: [
    { name: 'repair', type: 'bool', description: 'Remove what nothing references, and records that point at data that is gone' },
    objectFormatFlag(false),
  ],
  async run(ctx) {
    const repairing = ctx.flags.bool('repair');
    const report = await ctx.engine.checkStore({ repair: repairing });
    const format = objectFormat(ctx.flags);
    if (format) ctx.out(Template.parse(format).execute(report));
    else {
      for (const p of report.problems) ctx.out(problemLine(p, repairing));
      ctx.out(checkSummary(report, repairing));
    }
    return report.remaining === 0 ? 0 : 1;
  },
};

export const systemCommands: readonly Command[] = [info, version, events, df, prune, check];
