// The container commands' argument parsers: env files, labels, cp's CONTAINER:PATH, log times,
// Go's quoting of commands.
import { describe, expect, it } from 'vitest';
import { splitCpArg } from '../../../cli/commands/container-cp.ts';
import { parseTimestamp } from '../../../cli/commands/container-logs.ts';
import { parseEnvFile, parseLabels } from '../../../cli/commands/container-run.ts';
import { goQuote } from '../../../cli/humanize.ts';
import { goDuration, parseGoDuration } from '../../../engine/go-duration.ts';

describe('container arguments', () => {
  it('reads env files as docker does', () => {
    expect(parseEnvFile('\uFEFFA=1\n# comment\n\n  B=two words  \nUNSET\nC=\r\nD==x\n')).toEqual(['A=1', 'B=two words  ', 'C=', 'D==x']);
    expect(() => parseEnvFile('=1')).toThrow("no variable name on line '=1'");
    expect(() => parseEnvFile('A B=1')).toThrow("poorly formatted environment: variable 'A B' contains whitespaces");
  });

  it('reads labels', () => {
    expect(parseLabels(['a=1', 'b', 'c=x=y', 'a=2'])).toEqual({ a: '2', b: '', c: 'x=y' });
  });

  it('splits cp arguments like docker', () => {
    expect(splitCpArg('box:/etc/passwd')).toEqual({ container: 'box', path: '/etc/passwd' });
    expect(splitCpArg('box:rel')).toEqual({ container: 'box', path: 'rel' });
    expect(splitCpArg('/abs:path')).toEqual({ path: '/abs:path' });
    expect(splitCpArg('./file:name')).toEqual({ path: './file:name' });
    expect(splitCpArg('plain.txt')).toEqual({ path: 'plain.txt' });
    expect(splitCpArg('-')).toEqual({ path: '-' });
  });

  it('parses Go durations and docker’s timestamps', () => {
    expect(goDuration('1h30m')).toBe(5_400e9);
    expect(goDuration('1.5s')).toBe(1.5e9);
    expect(goDuration('250ms')).toBe(250e6);
    expect(parseGoDuration('1m30s')).toBe(90e9);
    expect(() => parseGoDuration('30')).toThrow('time: invalid duration "30"');
    expect(goDuration('-2m')).toBe(-120e9);
    expect(goDuration('10')).toBeUndefined();
    expect(goDuration('1d')).toBeUndefined();
    const now = Date.UTC(2024, 0, 2, 12);
    expect(parseTimestamp('10m', now)).toBe(now - 600_000);
    expect(parseTimestamp('1700000000', now)).toBe(1_700_000_000_000);
    expect(parseTimestamp('1700000000.5', now)).toBe(1_700_000_000_500);
    expect(parseTimestamp('2024-01-02T10:00:00Z', now)).toBe(Date.UTC(2024, 0, 2, 10));
    expect(parseTimestamp('2024-01-02T10:00:00.25+02:00', now)).toBe(Date.UTC(2024, 0, 2, 8, 0, 0, 250));
    expect(parseTimestamp('2024-01-02', now)).toBe(Date.UTC(2024, 0, 2));
    expect(parseTimestamp('', now)).toBeUndefined();
    expect(parseTimestamp('yesterday', now)).toBeUndefined();
  });

  it('quotes like Go’s strconv.Quote', () => {
    expect(goQuote('sh -c "echo hi"')).toBe('"sh -c \\"echo hi\\""');
    expect(goQuote('a\tb\nc\\')).toBe('"a\\tb\\nc\\\\"');
    expect(goQuote('\x01\x7fé…')).toBe('"\\x01\\x7fé…"');
  });
});
