import { describe, expect, it } from 'vitest';
import { alignColumns } from '../../../cli/table.ts';

describe('alignColumns (Go tabwriter, minwidth 10, padding 3)', () => {
  it('lays out docker images exactly', () => {
    const text = 'REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\nbusybox\tlatest\ta416a98b71e2\t2 years ago\t4.26MB\n';
    expect(alignColumns(text)).toBe(
      'REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\n' + 'busybox      latest    a416a98b71e2   2 years ago   4.26MB\n',
    );
  });

  it('prints a header alone padded to the minimum width', () => {
    expect(alignColumns('REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n')).toBe('REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n');
  });

  it('pads empty trailing cells but not the last cell of a line', () => {
    expect(alignColumns('a\tb\t\nccc\td\t\n')).toBe('a         b         \nccc       d         \n');
  });

  it('ends a column block at a line with fewer cells', () => {
    expect(alignColumns('aaaaaaaaaaaa\tx\nno tabs here\nb\ty\n')).toBe('aaaaaaaaaaaa   x\nno tabs here\nb         y\n');
  });

  it('counts characters, not UTF-16 units', () => {
    expect(alignColumns('é…\tx\nab\ty', { minWidth: 0, padding: 1 })).toBe('é… x\nab y');
  });
});
