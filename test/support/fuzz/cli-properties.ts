// Properties of what a user types: the command line split into words, flags parsed against the
// real commands' flag specs, and `--format` Go templates.
import fc from 'fast-check';
import type { Command } from '../../../cli/command.ts';
import { containerCommands } from '../../../cli/commands/container.ts';
import { containerCpCommands } from '../../../cli/commands/container-cp.ts';
import { containerExecCommands } from '../../../cli/commands/container-exec.ts';
import { containerLogsCommands } from '../../../cli/commands/container-logs.ts';
import { containerLsCommands } from '../../../cli/commands/container-ls.ts';
import { containerPortCommands } from '../../../cli/commands/container-port.ts';
import { containerRunCommands } from '../../../cli/commands/container-run.ts';
import { imageCommands } from '../../../cli/commands/image.ts';
import { inspectCommands } from '../../../cli/commands/inspect.ts';
import { networkCommands } from '../../../cli/commands/network.ts';
import { nodeCommands } from '../../../cli/commands/node.ts';
import { systemCommands } from '../../../cli/commands/system.ts';
import { volumeCommands } from '../../../cli/commands/volume.ts';
import { FlagError, parseFlags } from '../../../cli/flags.ts';
import { formatList, goStruct, Template, TemplateError } from '../../../cli/format-template.ts';
import { ShellSyntaxError, splitCommandLine } from '../../../core/shell-words.ts';
import { ensure, type FuzzProperty, fuzzProperty, typedOutcome } from './fuzz-property.ts';

const lineArb = fc.oneof(
  fc
    .array(
      fc.constantFrom('docker', 'run', '-e', "'A=1 2'", '"x\\"y"', 'a\\ b', '\\', '\\\n', "'", '"', ' ', '\t', '\n', '$HOME', '"\\$x\\\\"', "''", '""', 'é'),
      {
        maxLength: 12,
      },
    )
    .map((parts) => parts.join('')),
  fc.string({ maxLength: 40 }),
);

/** Single-quotes a word for a POSIX shell: what splitting must undo exactly. */
const quote = (w: string) => `'${w.replaceAll("'", `'\\''`)}'`;

const shellWords = fuzzProperty(
  'shell-words',
  lineArb,
  async (line) => {
    const words = await typedOutcome([ShellSyntaxError], () => splitCommandLine(line));
    if (!words) return;
    const again = await typedOutcome([], () => splitCommandLine(words.map(quote).join(' ')));
    ensure(JSON.stringify(again) === JSON.stringify(words), `quoted again, ${JSON.stringify(words)} splits as ${JSON.stringify(again)}`);
  },
  300,
);

const COMMANDS: readonly Command[] = [
  ...containerCommands,
  ...containerCpCommands,
  ...containerExecCommands,
  ...containerLogsCommands,
  ...containerLsCommands,
  ...containerPortCommands,
  ...containerRunCommands,
  ...imageCommands,
  ...inspectCommands,
  ...networkCommands,
  ...nodeCommands,
  ...systemCommands,
  ...volumeCommands,
];

const VALUES = ['', 'x', '1', '-1', '0', 'true', 'False', '99999999999999999999', '1e3', '0x10', '=', '--', '-', '8080:80', 'a=b', '10s', '512m', '/tmp:/tmp'];

/** argv built from the command's own flags (long, short, combined, attached, `=`) and odd values. */
const flagsInputArb = fc.constantFrom(...COMMANDS).chain((cmd) => {
  const long = cmd.flags.map((f) => `--${f.name}`);
  const short = cmd.flags.filter((f) => f.short).map((f) => `-${f.short}`);
  const token = fc.oneof(
    fc.constantFrom(...long, '--help', '--', '--nope', '-', '-h'),
    ...(short.length ? [fc.constantFrom(...short)] : []),
    fc.tuple(fc.constantFrom(...long, ...short, '-'), fc.constantFrom('=', ''), fc.constantFrom(...VALUES)).map((t) => t.join('')),
    ...(short.length ? [fc.array(fc.constantFrom(...short.map((s) => s.slice(1))), { minLength: 2, maxLength: 3 }).map((s) => `-${s.join('')}`)] : []),
    fc.constantFrom(...VALUES, 'alpine', 'c1'),
  );
  return fc.record({ cmd: fc.constant(cmd), argv: fc.array(token, { maxLength: 8 }) });
});

const cliFlags = fuzzProperty(
  'cli-flags',
  flagsInputArb,
  async ({ cmd, argv }) => {
    const parsed = await typedOutcome([FlagError], () => parseFlags(argv, cmd.flags, cmd.interspersed ?? true));
    if (!parsed) return;
    for (const [name, v] of parsed.values) {
      const spec = cmd.flags.find((f) => f.name === name);
      ensure(spec !== undefined, `value for undeclared flag --${name}`);
      const ok =
        spec!.type === 'bool'
          ? typeof v === 'boolean'
          : spec!.type === 'int'
            ? Number.isSafeInteger(v)
            : spec!.type === 'string'
              ? typeof v === 'string'
              : Array.isArray(v) && v.every((s) => typeof s === 'string');
      ensure(ok, `--${name} (${spec!.type}) got ${JSON.stringify(v)}`);
    }
    // Arguments are words of argv, passed on in their order.
    let at = 0;
    for (const a of parsed.args) {
      at = argv.indexOf(a, at) + 1;
      ensure(at > 0, `argument ${JSON.stringify(a)} is not a word of argv, or out of order`);
    }
  },
  300,
);

/** Template pieces, valid and not: fields, functions, control structures, literals, trim markers. */
const ACTION = [
  '.',
  '.Name',
  '.Labels.a',
  '.Ports',
  '$',
  '$x',
  '$x := .Name',
  '$x = 1',
  'json .',
  'join .Names ","',
  'split .Name "a"',
  'upper .Name',
  'title "a b"',
  'pad .Name 2 3',
  'truncate .Name 3',
  'index .Names 0',
  'index .Labels "a"',
  'index .Names 9',
  'len .Names',
  'printf "%s-%5d|%-3q|%x|%.2f" .Name 3 "q" 255 1.5',
  'printf "%d"',
  'print 1 2 "a"',
  'println .',
  'eq .Name "x" "y"',
  'ne 1 2',
  'lt 1 "a"',
  'and 1 0',
  'or 0 .Name',
  'not .',
  '.Name | upper | lower',
  '(.Name)',
  '(len .Names).X',
  '((1))',
  '"a\\x41\\u00e9\\n"',
  '"\\xZZ"',
  '"\\u12"',
  '"\\q"',
  '`raw`',
  '1e3',
  '-0x1F',
  '+.5',
  'true',
  'nil',
  '.Nope.Deeper',
  '.Name.Len',
  'nofunc 1',
  '|',
  '(',
  ')',
  '/* c */',
  ':=',
  '$x, $y := .Names',
];
const CONTROL = ['if', 'with', 'range', 'else', 'else if', 'end', 'define "x"', 'break'];

const templatePart: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('text ', '\n', '\\t', '{', '}', '{{', '}}', ' - ', '"', '`') },
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom('{{', '{{- '), fc.constantFrom(...ACTION), fc.constantFrom('}}', ' -}}')).map((t) => t.join('')) },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom(...CONTROL), fc.constantFrom('', ...ACTION)).map(([c, a]) => `{{${c}${a && !c.startsWith('e') ? ` ${a}` : ''}}}`),
  },
  { weight: 1, arbitrary: fc.constantFrom(10, 200, 5000).map((n) => `{{${'('.repeat(n)}1${')'.repeat(n)}}}`) },
  { weight: 1, arbitrary: fc.constantFrom(10, 200, 5000).map((n) => `${'{{if 1}}'.repeat(n)}x${'{{end}}'.repeat(n)}`) },
);

/** What `docker ps` and friends run templates over: a struct with lists and maps. */
const DATA = goStruct({ Name: 'web', Names: ['a', 'b'], Labels: { a: '1' }, Ports: [], Nested: { X: 1 } }, 'formatter.ContainerContext');

const template = fuzzProperty(
  'go-template',
  fc.record({ parts: fc.array(templatePart, { maxLength: 10 }), table: fc.boolean() }),
  async ({ parts, table }) => {
    const src = parts.join('');
    const t = await typedOutcome([TemplateError], () => Template.parse(src));
    if (t) await typedOutcome([TemplateError], () => t.execute(DATA));
    if (!src.includes('{{')) ensure(t?.execute(DATA) === src, `plain text ${JSON.stringify(src)} printed differently`);
    await typedOutcome([TemplateError], () => formatList(`${table ? 'table ' : ''}${src}`, [DATA, {}], { Name: 'NAME' }));
  },
  300,
);

export const cliProperties: readonly FuzzProperty[] = [shellWords, cliFlags, template];
