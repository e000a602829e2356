import { describe, expect, it } from 'vitest';
import { formatList, goStruct, Template, TemplateError } from '../../../cli/format-template.ts';

const image = {
  Id: 'sha256:abc',
  Os: 'linux',
  Architecture: '386',
  Size: 2063641,
  RepoTags: ['busybox:latest', 'busybox:1'],
  Config: { Env: ['PATH=/bin', 'A=1'], Cmd: null, Labels: { b: '2', a: '1' } },
};
const run = (src: string, data: unknown = image) => Template.parse(src).execute(data);

/** The TemplateError message of parsing `src`, or 'parsed'. */
function parseError(src: string): string {
  try {
    Template.parse(src);
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return (e as Error).message;
  }
  return 'parsed';
}

describe('Template', () => {
  it('prints fields, nested fields and the dot', () => {
    expect(run('{{.Id}}')).toBe('sha256:abc');
    expect(run('{{.Os}}/{{.Architecture}}')).toBe('linux/386');
    expect(run('{{.Config.Env}}')).toBe('[PATH=/bin A=1]');
    expect(run('{{.Size}}')).toBe('2063641');
    expect(run('{{.}}', 'x')).toBe('x');
    expect(run('{{.Config.Labels}}')).toBe('map[a:1 b:2]');
    expect(run('{{.Config.Cmd}}')).toBe('<nil>');
  });

  it('prints <no value> for a missing map key and fails on a missing struct field', () => {
    expect(run('{{.Nope}}')).toBe('<no value>');
    expect(() => run('{{.Nope}}', goStruct({ A: 1 }, '*formatter.imageContext'))).toThrow(
      'executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext',
    );
    expect(() => run('{{.Nope.Deeper}}')).toThrow('nil pointer evaluating interface {}.Deeper');
  });

  it('has docker functions: json, join, split, upper, lower, title, pad, truncate', () => {
    expect(run('{{json .Config}}')).toBe('{"Env":["PATH=/bin","A=1"],"Cmd":null,"Labels":{"b":"2","a":"1"}}');
    expect(run('{{json .RepoTags}}')).toBe('["busybox:latest","busybox:1"]');
    expect(run('{{json "a<b"}}')).toBe('"a<b"');
    expect(run('{{join .RepoTags ", "}}')).toBe('busybox:latest, busybox:1');
    expect(run('{{split "a:b" ":"}}')).toBe('[a b]');
    expect(run('{{upper .Os}} {{.Os | upper}} {{lower "ABC"}} {{title "hello world"}}')).toBe('LINUX LINUX abc Hello World');
    expect(run('[{{pad .Os 1 2}}] {{truncate .Id 6}}')).toBe('[ linux  ] sha256');
  });

  it('has Go builtins: index, len, printf, eq/ne/lt, and/or/not', () => {
    expect(run('{{index .Config.Labels "a"}}|{{index .Config.Labels "zz"}}|{{index .RepoTags 1}}')).toBe('1||busybox:1');
    expect(run('{{len .RepoTags}} {{printf "%s=%d|%-6s|%5s" .Os 7 "ab" "cd"}}')).toBe('2 linux=7|ab    |   cd');
    expect(run('{{eq .Os "linux"}} {{eq .Os "a" "linux"}} {{ne .Os "linux"}} {{lt 1 2}} {{ge 1 2}}')).toBe('true true false true false');
    expect(run('{{and 1 0}} {{or 0 "" "z"}} {{not .Os}}')).toBe('0 z false');
    expect(run('{{print 1 2 "s" 3}}')).toBe('1 2s3');
  });

  it('runs range, if/else if/else and with', () => {
    expect(run('{{range .RepoTags}}<{{.}}>{{end}}')).toBe('<busybox:latest><busybox:1>');
    expect(run('{{range $i, $t := .RepoTags}}{{$i}}={{$t}} {{end}}')).toBe('0=busybox:latest 1=busybox:1 ');
    expect(run('{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}};{{end}}')).toBe('a:1;b:2;');
    expect(run('{{range .Config.Cmd}}x{{else}}none{{end}}')).toBe('none');
    expect(run('{{if eq .Os "windows"}}W{{else if eq .Os "linux"}}L{{else}}?{{end}}')).toBe('L');
    expect(run('{{if .Config.Cmd}}cmd{{else}}no cmd{{end}}')).toBe('no cmd');
    expect(run('{{with .Config}}{{.Env}}{{end}}{{with .Nope}}x{{else}}-{{end}}')).toBe('[PATH=/bin A=1]-');
    expect(run('{{range .RepoTags}}{{$.Os}} {{end}}')).toBe('linux linux ');
  });

  it('supports variables, parentheses, literals, comments and trim markers', () => {
    expect(run('{{$o := .Os}}{{with .Config}}{{$o}}{{end}}')).toBe('linux');
    expect(run('{{$a := 1}}{{if true}}{{$a = 2}}{{end}}{{$a}}')).toBe('2');
    expect(run('{{(index .RepoTags 0) | upper}}')).toBe('BUSYBOX:LATEST');
    expect(run('{{"a\\tb"}}{{`raw\\n`}}{{/* comment */}}{{3}}{{true}}')).toBe('a\tbraw\\n3true');
    expect(run('a  {{- .Os -}}  b\n{{- .Architecture}}')).toBe('alinuxb386');
  });

  it('reports syntax errors in Go words', () => {
    expect(parseError('{{.Id')).toBe('template: :1: unclosed action');
    expect(parseError('{{nope .Id}}')).toBe('template: :1: function "nope" not defined');
    expect(parseError('{{if .Id}}x')).toBe('template: :1: unexpected EOF');
    expect(parseError('x\n{{end}}')).toBe('template: :2: unexpected {{end}}');
    expect(parseError('{{.Id .Os}}')).toBe("template: :1: can't give argument to non-function .Id");
  });

  // Found by fuzzing (test/unit/fuzz/cli.test.ts): a bad escape threw a RangeError, and deep
  // nesting overflowed the stack, instead of a TemplateError.
  it('refuses bad escapes and nesting past 1000 levels with a TemplateError', () => {
    expect(parseError('{{"\\xZZ"}}')).toBe('template: :1: invalid syntax');
    expect(parseError('{{"\\u12"}}')).toBe('template: :1: invalid syntax');
    expect(run('{{"\\x41\\u00e9"}}')).toBe('Aé');
    const parens = (n: number) => `{{${'('.repeat(n)}1${')'.repeat(n)}}}`;
    const ifs = (n: number) => `${'{{if 1}}'.repeat(n)}x${'{{end}}'.repeat(n)}`;
    expect(run(parens(1000))).toBe('1');
    expect(run(ifs(1000))).toBe('x');
    expect(parseError(parens(5000))).toBe('template: :1: max expression depth exceeded');
    expect(parseError(ifs(5000))).toBe('template: :1: max nesting depth exceeded');
  });
});

describe('formatList', () => {
  const rows = [
    { Repository: 'busybox', Tag: 'latest', ID: 'a416a98b71e2' },
    { Repository: 'fixtures/busybox', Tag: 'x', ID: 'db841300849a' },
  ];
  const header = { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID' };

  it('prints a table with a header and aligned columns for a table format', () => {
    expect(formatList('table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}', rows, header)).toBe(
      'REPOSITORY         TAG       IMAGE ID\nbusybox            latest    a416a98b71e2\nfixtures/busybox   x         db841300849a\n',
    );
    expect(formatList('table {{.Repository | upper}}\t{{.ID}}', [], header)).toBe('REPOSITORY   IMAGE ID\n');
  });

  it('prints one line per item for other formats, turning literal \\t into tabs', () => {
    expect(formatList('{{.Repository}}:{{.Tag}}', rows)).toBe('busybox:latest\nfixtures/busybox:x\n');
    expect(formatList('{{.Repository}}\\t{{.Tag}}', rows.slice(0, 1))).toBe('busybox\tlatest\n');
    expect(formatList('{{json .}}', rows.slice(0, 1))).toBe('{"Repository":"busybox","Tag":"latest","ID":"a416a98b71e2"}\n');
  });
});
