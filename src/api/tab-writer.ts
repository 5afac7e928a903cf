/**
 * Go's text/tabwriter with the settings of the docker CLI's tables (minwidth 10, tabwidth 1,
 * padding 3, padchar ' ', no flags): tab-terminated cells are aligned in columns, a column's
 * width is its widest cell plus the padding (at least minwidth), and a column block ends at the
 * first line that has no cell in that column. The last cell of a line is never padded.
 */
export interface TabWriterOptions {
  minWidth?: number;
  padding?: number;
}

const runeLength = (s: string): number => [...s].length;

export function tabwrite(text: string, options: TabWriterOptions = {}): string {
  const minWidth = options.minWidth ?? 10;
  const padding = options.padding ?? 3;
  const lines = text.split('\n').map((line) => line.split('\t'));
  const widths: number[] = [];
  let out = '';

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const line = lines[i] as string[];
      line.forEach((cell, j) => {
        out += cell;
        const width = widths[j];
        if (j < line.length - 1 && width !== undefined) out += ' '.repeat(Math.max(0, width - runeLength(cell)));
      });
      if (i + 1 < lines.length) out += '\n';
    }
  };

  const format = (from: number, to: number): void => {
    const column = widths.length;
    let line0 = from;
    for (let current = from; current < to; current++) {
      if (column >= (lines[current] as string[]).length - 1) continue;
      // This line has a cell in this column: a block of such lines starts here.
      writeLines(line0, current);
      line0 = current;
      let width = minWidth;
      for (; current < to; current++) {
        const line = lines[current] as string[];
        if (column >= line.length - 1) break;
        width = Math.max(width, runeLength(line[column] as string) + padding);
      }
      widths.push(width);
      format(line0, current);
      widths.pop();
      line0 = current;
    }
    writeLines(line0, to);
  };

  format(0, lines.length);
  return out;
}
