// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` in a Dockerfile is the data under test, not a template.
import { describe, expect, it } from 'vitest';
import { DockerfileParseError } from '../../../engine/build/dockerfile/build-errors.ts';
import type { Instruction } from '../../../engine/build/dockerfile/dockerfile-model.ts';
import { parseDockerfile } from '../../../engine/build/dockerfile/parse-dockerfile.ts';

const only = (text: string): Instruction => parseDockerfile(`FROM alpine\n${text}`).stages[0]!.instructions[0]!;
const error = (text: string) => {
  try {
    parseDockerfile(text);
  } catch (e) {
    return e as DockerfileParseError;
  }
  throw new Error('parsed');
};

describe('parseDockerfile', () => {
  it('parses a multi-stage Go build', () => {
    const df = parseDockerfile(`# syntax=docker/dockerfile:1
ARG GO=1.22
FROM --platform=$BUILDPLATFORM golang:\${GO} AS Build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/.cache go build -o /out/app .
FROM scratch
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
`);
    expect(df.directives).toEqual({ syntax: 'docker/dockerfile:1', escape: '\\' });
    expect(df.globalArgs).toEqual([{ name: 'GO', default: '1.22' }]);
    expect(df.stages.map((s) => [s.index, s.name, s.from, s.platform, s.line])).toEqual([
      [0, 'build', 'golang:${GO}', '$BUILDPLATFORM', 3],
      [1, undefined, 'scratch', undefined, 7],
    ]);
    const run = df.stages[0]!.instructions[2]!;
    expect(run).toMatchObject({
      kind: 'RUN',
      line: 6,
      command: { form: 'shell', script: 'go build -o /out/app .' },
      mounts: ['type=cache,target=/root/.cache'],
    });
    expect(df.stages[1]!.instructions[0]).toMatchObject({ kind: 'COPY', from: 'build', sources: ['/out/app'], dest: '/app', link: false });
    expect(df.stages[1]!.instructions[1]).toMatchObject({ kind: 'ENTRYPOINT', command: { form: 'exec', args: ['/app'] } });
  });

  it('joins continuation lines as BuildKit does, dropping comments and blank lines in between', () => {
    const df = parseDockerfile('from node:20\nrun apt-get update && \\\n  # a comment\n\n    apt-get install -y git\nCMD npm start');
    const [run, cmd] = df.stages[0]!.instructions;
    expect(run).toMatchObject({ kind: 'RUN', line: 2, text: 'run apt-get update &&     apt-get install -y git' });
    expect(run).toMatchObject({ command: { form: 'shell', script: 'apt-get update &&     apt-get install -y git' } });
    expect(cmd).toMatchObject({ line: 6, command: { form: 'shell', script: 'npm start' } });
  });

  it('does not continue a line ending in an escaped escape character', () => {
    const df = parseDockerfile('FROM a\nRUN echo \\\\\nRUN x');
    expect(df.stages[0]!.instructions.map((i) => i.text)).toEqual(['RUN echo \\\\', 'RUN x']);
  });

  it('honours # escape=` at the top only', () => {
    const df = parseDockerfile('# escape=`\nFROM mcr/windows\nRUN dir `\n  c:\\');
    expect(df.directives.escape).toBe('`');
    expect(df.stages[0]!.instructions[0]).toMatchObject({ command: { script: 'dir   c:\\' } });
    expect(parseDockerfile('\n# escape=`\nFROM a').directives.escape).toBe('\\');
    expect(error('# escape=x\nFROM a').message).toBe("invalid escape token 'x' does not match ` or \\");
  });

  it('parses heredocs', () => {
    const df = parseDockerfile(
      'FROM a\nRUN <<EOF\necho hi\nEOF\nRUN <<-"X" python3 - <<Y\n\tprint(1)\n\tX\nz\nY\nCOPY <<A <<B /etc/\na $V\nA\nb\nB\nRUN ["sh", "<<EOF"]\n',
    );
    const [one, two, copy, json] = df.stages[0]!.instructions;
    expect(one).toMatchObject({
      command: { form: 'shell', script: 'echo hi\n' },
      heredocs: [{ name: 'EOF', content: 'echo hi\n', chomp: false, quoted: false }],
    });
    expect(two).toMatchObject({
      command: { form: 'shell', script: '<<-"X" python3 - <<Y\n\tprint(1)\nX\nz\nY' },
      heredocs: [
        { name: 'X', content: 'print(1)\n', chomp: true, quoted: true },
        { name: 'Y', content: 'z\n', chomp: false, quoted: false },
      ],
    });
    expect(copy).toMatchObject({
      kind: 'COPY',
      sources: ['A', 'B'],
      dest: '/etc/',
      heredocs: [
        { name: 'A', content: 'a $V\n' },
        { name: 'B', content: 'b\n' },
      ],
    });
    expect(json).toMatchObject({ line: 15, command: { form: 'exec', args: ['sh', '<<EOF'] }, heredocs: [] });
    expect(error('FROM a\nRUN <<EOF\nx').message).toBe('unterminated heredoc');
  });

  it('parses ENV, LABEL and ARG', () => {
    expect(only('ENV a=b c="d e" f=g\\ h')).toMatchObject({
      pairs: [
        ['a', 'b'],
        ['c', '"d e"'],
        ['f', 'g\\ h'],
      ],
    });
    expect(only('ENV PATH /usr/local/bin:$PATH  x')).toMatchObject({ pairs: [['PATH', '/usr/local/bin:$PATH  x']] });
    expect(only('LABEL "com.x"="y z" v=1')).toMatchObject({
      pairs: [
        ['"com.x"', '"y z"'],
        ['v', '1'],
      ],
    });
    expect(only('ARG A B=2 C="x y"')).toMatchObject({ args: [{ name: 'A' }, { name: 'B', default: '2' }, { name: 'C', default: '"x y"' }] });
  });

  it('parses HEALTHCHECK, ONBUILD, MAINTAINER, SHELL, EXPOSE, VOLUME', () => {
    expect(only('HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x/')).toMatchObject({
      check: { command: { form: 'shell', script: 'curl -f http://x/' }, interval: '5s', retries: '3' },
    });
    expect(only('HEALTHCHECK CMD ["true"]')).toMatchObject({ check: { command: { form: 'exec', args: ['true'] } } });
    expect(only('healthcheck none')).toMatchObject({ check: null });
    expect(only('ONBUILD COPY . /app')).toMatchObject({ kind: 'ONBUILD', trigger: 'COPY . /app' });
    expect(only('MAINTAINER Jo <jo@x>')).toMatchObject({ value: 'Jo <jo@x>' });
    expect(only('SHELL ["bash", "-c"]')).toMatchObject({ args: ['bash', '-c'] });
    expect(only('EXPOSE 80 443/udp')).toMatchObject({ values: ['80', '443/udp'] });
    expect(only('VOLUME ["/a", "/b"]')).toMatchObject({ values: ['/a', '/b'] });
  });

  it('reports errors with their line, in BuildKit words', () => {
    const cases: [string, string][] = [
      ['FROM a\n\nFORM b', 'dockerfile parse error on line 3: unknown instruction: FORM (did you mean FROM?)'],
      ['FROM a\nENV =x', 'dockerfile parse error on line 2: ENV names can not be blank'],
      ['FROM a\nENV x', 'dockerfile parse error on line 2: ENV must have two arguments'],
      ['FROM a\nEXPOSE', 'dockerfile parse error on line 2: EXPOSE requires at least one argument'],
      [
        'FROM a\nCOPY x',
        'dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined',
      ],
      ['FROM a\nWORKDIR', 'dockerfile parse error on line 2: WORKDIR requires exactly one argument'],
      ['FROM a AS x\nFROM b AS X', 'dockerfile parse error on line 2: duplicate stage name "x"'],
      ['FROM a AS 1x', 'dockerfile parse error on line 1: invalid name for build stage: "1x", name can\'t start with a number or contain symbols'],
      ['FROM a b', 'dockerfile parse error on line 1: FROM requires either one or three arguments'],
      ['FROM a\nCOPY --form=x a b', 'dockerfile parse error on line 2: unknown flag: --form (did you mean from?)'],
      ['FROM a\nSHELL bash', 'dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form'],
      ['FROM a\nCMD ["a", 1]', 'dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only'],
      ['FROM a\nHEALTHCHECK NONE x', 'dockerfile parse error on line 2: HEALTHCHECK NONE takes no arguments'],
      ['FROM a\nONBUILD FROM b', "dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger"],
      ['RUN x\nFROM a', 'no build stage in current context'],
      ['ARG x', 'dockerfile contains no stages to build'],
      ['', 'the Dockerfile cannot be empty'],
      ['# only\n\n', 'file with no instructions'],
    ];
    for (const [text, message] of cases) expect(error(text).message, text).toBe(message);
    expect(error('FROM a\n\nFORM b').line).toBe(3);
    expect(error('FROM a\n\nFORM b')).toBeInstanceOf(DockerfileParseError);
  });
});
