import { describe, expect, it } from 'vitest';
import { FlagError, type FlagSpec, Flags, flagUsages, parseFlags } from '../../../cli/flags.ts';

const specs: FlagSpec[] = [
  { name: 'all', short: 'a', type: 'bool', description: 'Show all' },
  { name: 'quiet', short: 'q', type: 'bool', description: 'Only IDs' },
  { name: 'output', short: 'o', type: 'string', description: 'Write to a file' },
  { name: 'filter', short: 'f', type: 'stringArray', valueName: 'filter', description: 'Filter output' },
  { name: 'human', short: 'H', type: 'bool', default: true, description: 'Human readable' },
  { name: 'tail', short: 'n', type: 'int', description: 'Lines' },
];
const parse = (...argv: string[]) => parseFlags(argv, specs);

describe('parseFlags', () => {
  it('accepts long, short, combined and attached forms', () => {
    const p = parse('-aq', 'x', '--output=o.tar', '-f', 'a=1', '--filter', 'b=2', '-fc=3', '-n5', 'y');
    expect(p.args).toEqual(['x', 'y']);
    const f = new Flags(specs, p.values);
    expect([f.bool('all'), f.bool('quiet'), f.string('output'), f.strings('filter'), f.int('tail')]).toEqual([true, true, 'o.tar', ['a=1', 'b=2', 'c=3'], 5]);
    expect(new Flags(specs, parse('-o=x.tar').values).string('output')).toBe('x.tar');
  });

  it('uses defaults and explicit booleans', () => {
    expect(new Flags(specs, parse().values).bool('human')).toBe(true);
    expect(new Flags(specs, parse('-H=false').values).bool('human')).toBe(false);
    expect(new Flags(specs, parse('--human=0').values).bool('human')).toBe(false);
  });

  it('stops at -- and, when not interspersed, at the first argument', () => {
    expect(parse('--', '-a').args).toEqual(['-a']);
    expect(parseFlags(['-a', 'img', '-q'], specs, false)).toMatchObject({ args: ['img', '-q'] });
    expect(parse('-').args).toEqual(['-']);
  });

  it('recognises --help and -h', () => {
    expect(parse('x', '--help').help).toBe(true);
    expect(parse('-ah').help).toBe(true);
  });

  it('fails with pflag messages', () => {
    const msg = (...argv: string[]) => {
      try {
        parse(...argv);
      } catch (e) {
        expect(e).toBeInstanceOf(FlagError);
        return (e as Error).message;
      }
      return 'ok';
    };
    expect(msg('--x')).toBe('unknown flag: --x');
    expect(msg('--x=1')).toBe('unknown flag: --x');
    expect(msg('-z')).toBe("unknown shorthand flag: 'z' in -z");
    expect(msg('-az')).toBe("unknown shorthand flag: 'z' in -z");
    expect(msg('--output')).toBe('flag needs an argument: --output');
    expect(msg('-o')).toBe("flag needs an argument: 'o' in -o");
    expect(msg('-H=maybe')).toBe('invalid argument "maybe" for "-H, --human" flag: strconv.ParseBool: parsing "maybe": invalid syntax');
    expect(msg('-n', 'x')).toBe('invalid argument "x" for "-n, --tail" flag: strconv.ParseInt: parsing "x": invalid syntax');
    // Found by fuzzing (test/unit/fuzz/cli.test.ts): this was accepted as 1e20.
    expect(msg('-n', '99999999999999999999')).toBe(
      'invalid argument "99999999999999999999" for "-n, --tail" flag: strconv.ParseInt: parsing "99999999999999999999": value out of range',
    );
  });

  it('runs a flag value check', () => {
    const f: FlagSpec = {
      name: 'filter',
      short: 'f',
      type: 'stringArray',
      description: '',
      check: (v) => (v.includes('=') ? undefined : 'bad format of filter (expected name=value)'),
    };
    expect(() => parseFlags(['-f', 'x'], [f])).toThrow('invalid argument "x" for "-f, --filter" flag: bad format of filter (expected name=value)');
  });
});

describe('flagUsages', () => {
  it('aligns like pflag, sorted, with defaults and continuation lines', () => {
    expect(
      flagUsages([
        { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
        { name: 'format', type: 'string', description: 'Format output:\nline two' },
        { name: 'human', short: 'H', type: 'bool', default: true, description: 'Human' },
        { name: 'filter', short: 'f', type: 'stringArray', valueName: 'filter', description: 'Filter output' },
      ]),
    ).toBe(
      [
        '  -f, --filter filter   Filter output',
        '      --format string   Format output:',
        '                        line two',
        '  -H, --human           Human (default true)',
        '  -q, --quiet           Only show image IDs',
      ].join('\n'),
    );
  });
});
