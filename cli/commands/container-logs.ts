// `docker logs`: a container's output from its log, stdout to stdout and stderr to stderr (both
// to stdout for a TTY container, which has one stream), with --follow, --tail, --since, --until
// and --timestamps as docker has them.
import { goDuration, type LogRecord } from '../../engine/index.ts';
import { CliError, type Command } from '../command.ts';
import { rfc3339NanoFixed } from '../humanize.ts';

/**
 * docker's timestamp arguments (`--since`, `--until`): a duration before now (`10m`, `1h30m`),
 * Unix seconds (`1700000000.5`), or an RFC 3339 time or date. Milliseconds since the epoch.
 */
export function parseTimestamp(value: string, nowMs = Date.now()): number | undefined {
  if (value === '') return undefined;
  const d = goDuration(value);
  if (d !== undefined) return nowMs - d / 1e6;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  if (/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/i.test(value)) {
    const t = Date.parse(value.replace(' ', 'T'));
    if (!Number.isNaN(t)) return t;
  }
  return undefined;
}

interface Piece {
  readonly stream: 'stdout' | 'stderr';
  readonly time: number;
  readonly data: Uint8Array;
}

/** Splits records into lines (the last one may be partial), which is what docker's --tail counts. */
function lines(recs: readonly LogRecord[]): Piece[] {
  const out: Piece[] = [];
  for (const r of recs) {
    let start = 0;
    for (let i = 0; i < r.data.length; i++) {
      if (r.data[i] !== 0x0a) continue;
      out.push({ stream: r.stream, time: r.time, data: r.data.subarray(start, i + 1) });
      start = i + 1;
    }
    if (start < r.data.length) out.push({ stream: r.stream, time: r.time, data: r.data.subarray(start) });
  }
  return out;
}

const logs: Command = {
  names: ['container logs', 'logs'],
  usage: '[OPTIONS] CONTAINER',
  short: 'Fetch the logs of a container',
  args: { exactly: 1 },
  flags: [
    { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
    { name: 'since', type: 'string', description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'tail', short: 'n', type: 'string', default: 'all', description: 'Number of lines to show from the end of the logs' },
    { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
    { name: 'until', type: 'string', description: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  ],
  async run(ctx) {
    const f = ctx.flags;
    const name = ctx.args[0]!;
    const time = (flag: string) => {
      const v = f.string(flag);
      const t = parseTimestamp(v);
      if (v !== '' && t === undefined) throw new CliError(`invalid value for "${flag}": failed to parse value as time or duration: "${v}"`);
      return t;
    };
    const since = time('since');
    const until = time('until');
    const tailText = f.string('tail');
    if (tailText !== 'all' && !/^-?\d+$/.test(tailText)) throw new CliError(`invalid value for "tail": strconv.Atoi: parsing "${tailText}": invalid syntax`);
    const tail = tailText === 'all' || Number(tailText) < 0 ? undefined : Number(tailText);
    const tty = ctx.engine.containers.inspect(name).Config.Tty;
    const follow = f.bool('follow');
    const stamps = f.bool('timestamps');

    const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    const atLineStart = { stdout: true, stderr: true };
    const write = (p: Piece) => {
      const stream = tty ? 'stdout' : p.stream;
      let text = decoders[stream].decode(p.data, { stream: true });
      if (stamps && text) {
        const stamp = `${rfc3339NanoFixed(p.time * 1e6)} `;
        text = (atLineStart[stream] ? stamp : '') + text.replace(/\n(?=.)/gs, `\n${stamp}`);
        atLineStart[stream] = text.endsWith('\n');
      }
      if (text) (stream === 'stderr' ? ctx.io.stderr : ctx.io.stdout)(text);
    };

    const query = { ...(since !== undefined ? { since } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) };
    if (!follow) {
      const recs: LogRecord[] = [];
      // docker's --tail counts lines; a record may hold several, or part of one.
      for await (const r of ctx.engine.containers.logsOf(name, query)) recs.push(r);
      let pieces = lines(recs.filter((r) => until === undefined || r.time <= until));
      if (tail !== undefined) pieces = pieces.slice(Math.max(0, pieces.length - tail));
      for (const p of pieces) write(p);
    } else {
      // Following, the engine's tail counts records (each holds at least a line's worth).
      for await (const r of ctx.engine.containers.logsOf(name, { ...query, follow: true, ...(tail !== undefined ? { tail } : {}) })) {
        if (until !== undefined && r.time > until) break;
        write(r);
      }
    }
    for (const s of ['stdout', 'stderr'] as const) {
      const rest = decoders[s].decode();
      if (rest) (s === 'stderr' ? ctx.io.stderr : ctx.io.stdout)(rest);
    }
  },
};

export const containerLogsCommands: readonly Command[] = [logs];
