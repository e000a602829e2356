// `docker system …` and friends: info, version, events.
import { API_VERSION, ENGINE_VERSION } from '../../engine.ts';
import type { EngineEvent } from '../../events.ts';
import { CLI_VERSION } from '../version.ts';
import type { Command, CommandGroup } from '../command.ts';
import { Template } from '../format-template.ts';
import { humanSize, rfc3339NanoFixed } from '../humanize.ts';
import { filterFlag, objectFormat, objectFormatFlag, parseFilters } from '../output.ts';
import { alignColumns } from '../table.ts';

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
      ` Images: ${i.Images}`,
      ` Server Version: ${i.ServerVersion}`,
      ` Storage Driver: ${i.Driver}`,
      ...(i.StorageUsage !== undefined ? [` Storage Usage: ${humanSize(i.StorageUsage)}`] : []),
      ...(i.StorageQuota !== undefined ? [` Storage Quota: ${humanSize(i.StorageQuota)}`] : []),
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
      Client: { Platform: { Name: '' }, Version: CLI_VERSION, ApiVersion: API_VERSION, DefaultAPIVersion: API_VERSION, Os: OS, Arch: ARCH, Context: CLIENT.Context },
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
  const f = parseFilters(filterValues, ['type', 'event', 'image', 'label']);
  const any = (key: string, test: (v: string) => boolean) => !f.has(key) || f.get(key)!.some(test);
  const imageNames = (e: EngineEvent) => [e.Actor.ID, e.Actor.Attributes['name'], e.Actor.Attributes['image']].filter((x): x is string => !!x);
  return (e) =>
    any('type', (v) => e.Type === v) &&
    any('event', (v) => e.Action === v) &&
    any('image', (v) => e.Type === 'image' && imageNames(e).some((n) => n === v || n.replace(/:[^/:]*$/, '') === v || isIdPrefix(n, v))) &&
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

export const systemCommands: readonly Command[] = [info, version, events];
