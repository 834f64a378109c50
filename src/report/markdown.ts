/**
 * Markdown building blocks for reports (GitHub-flavoured tables). Pure: values in, string out.
 *
 *   mdTable(['policy', { header: 'hit ratio', align: 'right' }], [['lru', '0.42']])
 *
 * Cells are escaped so that a `|`, a backslash or a line break inside a value never breaks the table.
 */
export type MdCell = string | number | bigint | boolean | null | undefined;

export interface MdColumn {
  header: string;
  /** Default: right for columns whose cells are all numbers, else left. */
  align?: 'left' | 'right' | 'center';
}

/** Escapes text for a table cell: backslash and `|` get a backslash, line breaks become spaces. */
export function mdEscape(text: string): string {
  return text.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|[\r\n]/g, ' ');
}

/** A cell's text: numbers as given by `formatNumber`, null and undefined as an empty cell. */
export function mdCell(value: MdCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return formatNumber(value);
  return mdEscape(String(value));
}

/** Integers as they are; other numbers with up to 4 significant decimals; non-finite as an empty string. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '';
  if (Number.isInteger(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 1000 ? 1 : abs >= 1 ? 3 : Math.min(12, 3 - Math.floor(Math.log10(abs)));
  return String(Number(n.toFixed(digits)));
}

/** A table with one header row; every row must have one cell per column. Empty rows give a header-only table. */
export function mdTable(columns: readonly (string | MdColumn)[], rows: readonly (readonly MdCell[])[]): string {
  const cols = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  for (const [i, row] of rows.entries()) {
    if (row.length !== cols.length) throw new RangeError(`markdown row ${i} has ${row.length} cells for ${cols.length} columns`);
  }
  const align = cols.map((c, j) => c.align ?? (rows.length > 0 && rows.every((r) => typeof r[j] === 'number' || typeof r[j] === 'bigint') ? 'right' : 'left'));
  const rule = align.map((a) => (a === 'right' ? '---:' : a === 'center' ? ':---:' : '---'));
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(cols.map((c) => mdEscape(c.header))), line(rule), ...rows.map((r) => line(r.map(mdCell)))].join('\n') + '\n';
}

/** A table from objects: one column per key given, headers are the keys themselves (one vocabulary). */
export function mdTableObjects<T extends object>(rows: readonly T[], columns: readonly (keyof T & string)[]): string {
  return mdTable(
    columns,
    rows.map((r) => columns.map((c) => r[c] as MdCell)),
  );
}

/** A `#` heading of the given level, on one line. */
export function mdHeading(level: number, text: string): string {
  return `${'#'.repeat(Math.min(Math.max(level, 1), 6))} ${text.replace(/\s+/g, ' ').trim()}\n`;
}
