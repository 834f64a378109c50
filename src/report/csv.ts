/**
 * CSV text per RFC 4180: a header row, comma separators, CRLF line ends, and a field quoted when it holds a
 * comma, a double quote, CR or LF (inner quotes doubled). Pure: rows in, string out.
 *
 *   toCsv(['repository', 'requests'], [['a/b', 3]])          // "repository,requests\r\na/b,3\r\n"
 *   toCsvObjects([{ repository: 'a/b', requests: 3 }])       // the same, columns from the first object
 */
export type CsvCell = string | number | bigint | boolean | Date | null | undefined;

/** One field, quoted when needed. null, undefined and non-finite numbers become the empty field. */
export function csvField(value: CsvCell): string {
  let text: string;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') text = Number.isFinite(value) ? String(value) : '';
  else if (value instanceof Date) text = value.toISOString();
  else text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A CSV document: the header row, then one record per row. Every record must have one cell per column. */
export function toCsv(columns: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const [i, row] of rows.entries()) {
    if (row.length !== columns.length) throw new RangeError(`csv row ${i} has ${row.length} cells for ${columns.length} columns`);
    lines.push(row.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** A CSV document from objects; columns default to the keys of the first object, in order. */
export function toCsvObjects<T extends object>(rows: readonly T[], columns?: readonly (keyof T & string)[]): string {
  const cols = columns ?? ((rows.length ? Object.keys(rows[0]) : []) as (keyof T & string)[]);
  return toCsv(
    cols,
    rows.map((r) => cols.map((c) => r[c] as CsvCell)),
  );
}
