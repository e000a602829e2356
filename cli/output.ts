// Output conventions shared by commands: the --format and --filter flags (with docker's help
// text), choosing a list format, and inspect's JSON.
import { CliError, daemonError } from './command.ts';
import type { FlagSpec, Flags } from './flags.ts';
import { Template } from './format-template.ts';

const FORMAT_REFER = 'Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates';

/** `--format` of list commands (images, history…). */
export const LIST_FORMAT_FLAG: FlagSpec = {
  name: 'format',
  type: 'string',
  description:
    "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n" +
    "'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n" +
    `'TEMPLATE':         Print output using the given Go template.\n${FORMAT_REFER}`,
};

/** `-f, --format` of inspect, info and version (`--format` alone for events). */
export function objectFormatFlag(short: boolean): FlagSpec {
  return {
    name: 'format',
    ...(short ? { short: 'f' } : {}),
    type: 'string',
    description: `Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\n${FORMAT_REFER}`,
  };
}

export function filterFlag(): FlagSpec {
  return {
    name: 'filter',
    short: 'f',
    type: 'stringArray',
    valueName: 'filter',
    description: 'Filter output based on conditions provided',
    check: (raw) => (raw.includes('=') ? undefined : 'bad format of filter (expected name=value)'),
  };
}

/** `--filter` values by name; a name docker would not accept is the daemon's error. */
export function parseFilters(values: readonly string[], accepted: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = v.slice(0, eq).trim().toLowerCase();
    if (!accepted.includes(key)) throw new Error(`invalid filter '${key}'`);
    out.set(key, [...(out.get(key) ?? []), v.slice(eq + 1)]);
  }
  return out;
}

/**
 * The template a list command prints with: `table`/none → its default table (or the quiet
 * one with -q), `json` → one JSON object per line, anything else as given (-q then ignored).
 */
export function listFormat(flags: Flags, defaults: { table: string; quiet: string }): string {
  const f = flags.string('format');
  if (f === '' || f === 'table') return flags.bool('quiet') ? defaults.quiet : defaults.table;
  if (f === 'json') return '{{json .}}';
  return f;
}

/** The template an object command (inspect, info, version) runs, or undefined for its default. */
export function objectFormat(flags: Flags): string | undefined {
  const f = flags.string('format');
  if (f === '') return undefined;
  return f === 'json' ? '{{json .}}' : f;
}

/** JSON as the Docker daemon writes it: 4-space indent, `<`, `>` and `&` escaped as Go does. */
function goIndentedJson(value: unknown): string {
  return JSON.stringify(value, null, 4).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * docker inspect's output: found objects as one JSON array (or the template per object), then
 * the errors, one per line, with exit status 1 when there were any.
 */
export async function inspectEach(
  names: readonly string[],
  lookup: (name: string) => Promise<unknown>,
  format: string | undefined,
  out: (s: string) => void,
): Promise<void> {
  const template = format === undefined ? undefined : Template.parse(format);
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await lookup(name));
    } catch (e) {
      errors.push(e instanceof CliError ? e.message : daemonError(e));
    }
  }
  if (!template) out(`${goIndentedJson(found)}\n`);
  else for (const v of found) out(`${template.execute(v)}\n`);
  if (errors.length) throw new CliError(errors.join('\n'));
}

/**
 * Runs `act` on each named object as docker's multi-object commands (stop, rm, kill…) do: the
 * name on stdout when it worked, the errors together at the end (exit status 1), then `summary`.
 */
export async function eachTarget(
  ctx: { readonly signal: AbortSignal | undefined; out(s: string): void },
  names: readonly string[],
  act: (name: string) => Promise<unknown>,
  opts: { summary?: (failed: string[]) => string; quiet?: boolean } = {},
): Promise<void> {
  const errors: string[] = [];
  const failed: string[] = [];
  for (const name of names) {
    try {
      await act(name);
      if (!opts.quiet) ctx.out(name);
    } catch (e) {
      if (ctx.signal?.aborted) throw e;
      errors.push(e instanceof CliError ? e.message : daemonError(e));
      failed.push(name);
    }
  }
  if (errors.length) throw new CliError([...errors, ...(opts.summary ? [opts.summary(failed)] : [])].join('\n'));
}
