// `.env` files as Compose parses them (05-services.md, "Env_file format").
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` in .env texts is the data under test, not a template.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../../engine/compose/model/dotenv.ts';

describe('parseDotenv', () => {
  it('reads the forms the spec lists', () => {
    const text = [
      '# Set Rails/Rack environment',
      'RACK_ENV=development',
      '',
      'export EXPORTED=yes',
      'QUOTED="quoted"',
      "SINGLE='VAL'",
      'COMMENT=VAL # comment',
      'NOT_COMMENT=VAL# not a comment',
      'IN_QUOTES="VAL # not a comment"',
      'AFTER_QUOTES="VAL" # comment',
      "LITERAL='$OTHER ${OTHER}'",
      "ESCAPED_SINGLE='Let\\'s go!'",
      'JSON="{\\"hello\\": \\"json\\"}"',
      'TAB="some\\tvalue"',
      "RAW_TAB='some\\tvalue'",
      'UNQUOTED_TAB=some\\tvalue',
      'EMPTY=',
      '  SPACED = padded  ',
      'dotted.key-1=ok',
    ].join('\n');
    expect(parseDotenv(text)).toEqual({
      RACK_ENV: 'development',
      EXPORTED: 'yes',
      QUOTED: 'quoted',
      SINGLE: 'VAL',
      COMMENT: 'VAL',
      NOT_COMMENT: 'VAL# not a comment',
      IN_QUOTES: 'VAL # not a comment',
      AFTER_QUOTES: 'VAL',
      LITERAL: '$OTHER ${OTHER}',
      ESCAPED_SINGLE: "Let's go!",
      JSON: '{"hello": "json"}',
      TAB: 'some\tvalue',
      RAW_TAB: 'some\\tvalue',
      UNQUOTED_TAB: 'some\\tvalue',
      EMPTY: '',
      SPACED: 'padded',
      'dotted.key-1': 'ok',
    });
  });

  it('interpolates unquoted and double-quoted values from earlier lines, then the environment', () => {
    const text = 'HOST=db\nURL=postgres://${HOST}:${PORT:-5432}/app\nQ="$HOST-\\$HOST"\nS=\'$HOST\'\nFROM_SHELL=$SHELL_VAR\nHOST_AGAIN=${HOST}';
    expect(parseDotenv(text, (k) => ({ SHELL_VAR: 'sh', HOST: 'ignored' })[k])).toEqual({
      HOST: 'db',
      URL: 'postgres://db:5432/app',
      Q: 'db-$HOST',
      S: '$HOST',
      FROM_SHELL: 'sh',
      HOST_AGAIN: 'db',
    });
  });

  it('takes a bare KEY from the environment, and leaves it out when unset', () => {
    expect(parseDotenv('FROM_ENV\nMISSING\n', (k) => (k === 'FROM_ENV' ? 'v' : undefined))).toEqual({ FROM_ENV: 'v' });
  });

  it('reads a quoted value over several lines, and CRLF files', () => {
    expect(parseDotenv('CERT="line1\nline2"\nNEXT=1\r\nLAST=2\r\n')).toEqual({ CERT: 'line1\nline2', NEXT: '1', LAST: '2' });
  });

  it('fails with the file and line of a bad line', () => {
    expect(() => parseDotenv('OK=1\n\n1BAD=x', undefined, 'app.env')).toThrow('app.env: line 3: unexpected character "1" in variable name');
    expect(() => parseDotenv('A="open', undefined, '.env')).toThrow('.env: line 1: unterminated quoted value for A');
    expect(() => parseDotenv('A B=1')).toThrow(/line 1/);
  });

  test.prop([
    fc.dictionary(
      fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/),
      fc.string({ unit: 'grapheme-ascii' }).filter((v) => !v.includes('\\')),
    ),
  ])('a single-quoted value (quotes escaped with \\) comes back as written, whatever it holds', (vars) => {
    const text = Object.entries(vars)
      .map(([k, v]) => `${k}='${v.replaceAll("'", "\\'")}'`)
      .join('\n');
    expect(parseDotenv(text)).toEqual(vars);
  });
});
