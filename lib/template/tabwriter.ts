/**
 * Column alignment as Go's text/tabwriter does it with docker's settings
 * (minwidth 10, padding 3, space padding): a cell is text ended by a tab;
 * the text after a line's last tab is not part of any column; consecutive
 * lines having a cell in a column form a block that shares one width. Pure.
 * @module
 */

const runes = (s: string) => [...s].length;

/**
 * Align tab-separated `text` (docker's `tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)`).
 * @param minWidth smallest column width, padding included.
 * @param padding spaces added to the widest cell of a column.
 */
export function tabwrite(text: string, minWidth = 10, padding = 3): string {
  const lines = text.split("\n").map((l) => l.split("\t"));
  const out: string[] = [];
  const emit = (from: number, to: number, widths: number[]) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i];
      out[i] = cells.map((c, j) =>
        j < cells.length - 1 && j < widths.length ? c + " ".repeat(widths[j] - runes(c)) : c
      ).join("");
    }
  };
  const block = (from: number, to: number, widths: number[]) => {
    const col = widths.length;
    let start = from;
    for (let i = from; i < to; i++) {
      if (col >= lines[i].length - 1) continue;
      emit(start, i, widths);
      let width = minWidth;
      let j = i;
      for (; j < to && col < lines[j].length - 1; j++) {
        width = Math.max(width, runes(lines[j][col]) + padding);
      }
      block(i, j, [...widths, width]);
      start = j;
      i = j - 1;
    }
    emit(start, to, widths);
  };
  block(0, lines.length, []);
  return out.join("\n");
}
