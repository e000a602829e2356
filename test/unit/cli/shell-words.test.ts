import { describe, expect, it } from 'vitest';
import { ShellSyntaxError, splitCommandLine } from '../../../core/shell-words.ts';

describe('splitCommandLine', () => {
  it('splits on blanks and drops extra whitespace', () => {
    expect(splitCommandLine('  docker   images\t-a \n')).toEqual(['docker', 'images', '-a']);
    expect(splitCommandLine('')).toEqual([]);
  });

  it('keeps single-quoted text literally', () => {
    expect(splitCommandLine(`docker images --format '{{.Repository}}\\t{{.Tag}}' x`)).toEqual([
      'docker',
      'images',
      '--format',
      '{{.Repository}}\\t{{.Tag}}',
      'x',
    ]);
    expect(splitCommandLine(`'a "b" \\c'`)).toEqual(['a "b" \\c']);
  });

  it('handles backslashes in double quotes as sh does', () => {
    expect(splitCommandLine(`"a \\"b\\" \\\\ \\$x \\t"`)).toEqual(['a "b" \\ $x \\t']);
    expect(splitCommandLine(`"{{json .}}"`)).toEqual(['{{json .}}']);
  });

  it('escapes any character outside quotes and joins adjacent quoted parts', () => {
    expect(splitCommandLine('a\\ b c\\"d')).toEqual(['a b', 'c"d']);
    expect(splitCommandLine(`x'y z'"w"`)).toEqual(['xy zw']);
    expect(splitCommandLine(`-e "" ''`)).toEqual(['-e', '', '']);
  });

  it('treats backslash-newline as a line continuation', () => {
    expect(splitCommandLine('docker \\\nimages')).toEqual(['docker', 'images']);
    expect(splitCommandLine('ab\\\ncd')).toEqual(['abcd']);
  });

  it('rejects unterminated quotes with bash wording', () => {
    expect(() => splitCommandLine(`echo 'abc`)).toThrow(ShellSyntaxError);
    expect(() => splitCommandLine(`echo "abc`)).toThrow('unexpected EOF while looking for matching `"\'');
  });
});
