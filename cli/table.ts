// Column alignment as Go's text/tabwriter does it, which is what lays out every docker table:
// cells end at a tab; a column is as wide as its widest cell plus padding (at least minWidth);
// the last cell of a line is not padded. Columns are "blocks" of consecutive lines that have a
// cell there, so a line with fewer cells ends the block, exactly as in Go.

export interface TabWriterOptions {
  readonly minWidth: number;
  readonly padding: number;
}

/** The docker CLI's table settings: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`. */
const DOCKER_TABLE: TabWriterOptions = { minWidth: 10, padding: 3 };

const width = (s: string) => [...s].length;

/** Aligns tab-separated `text` into columns; line breaks are kept. */
export function alignColumns(text: string, opts: TabWriterOptions = DOCKER_TABLE): string {
  const endsWithNewline = text.endsWith('\n');
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const out: string[] = new Array<string>(lines.length);
  const widths: number[] = [];

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      out[i] = cells.map((c, j) => (j < widths.length ? c + ' '.repeat(Math.max(0, widths[j]! - width(c))) : c)).join('');
    }
  };

  // Go's tabwriter.format: the cell at index `column` is tab-terminated when more cells follow.
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let line = line0; line < line1; line++) {
      if (column >= lines[line]!.length - 1) continue;
      writeLines(line0, line);
      line0 = line;
      let w = opts.minWidth;
      for (; line < line1; line++) {
        const cells = lines[line]!;
        if (column >= cells.length - 1) break;
        w = Math.max(w, width(cells[column]!) + opts.padding);
      }
      widths.push(w);
      format(line0, line);
      widths.pop();
      line0 = line;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}
