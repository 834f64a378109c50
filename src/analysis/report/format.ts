import { formatBytes } from '../../format/text.js';

/** Cell formats of report.md: exact numbers stay in the CSV files and summary.json. */
export function bytes(n: number | null): string {
  return n === null ? '' : `${formatBytes(n)} (${n})`;
}

/** A fraction as a percentage: one decimal, two near 100%, two significant digits below 0.1%. */
export function pct(f: number | null): string {
  if (f === null || !Number.isFinite(f)) return '';
  if (f > 0 && f < 0.001) return `${Number((f * 100).toPrecision(2))}%`;
  return `${(f * 100).toFixed(f > 0.999 && f < 1 ? 2 : 1)}%`;
}

const textColumns = new Set(['figure', 'value', 'measure', 'compression', 'file_class', 'split', 'layer_digest', 'digest', 'paths', 'image', 'manifest_digest', 'design', 'chunker', 'source']);

/** Table columns: numbers (shown with units) right-aligned, names and text left-aligned. */
export function columns(headers: readonly string[]): { header: string; align: 'left' | 'right' }[] {
  return headers.map((header) => ({ header, align: textColumns.has(header) ? 'left' : 'right' }));
}

export function times(r: number | null): string {
  return r === null || !Number.isFinite(r) ? '' : `${r.toFixed(3)}x`;
}

export function num(n: number | null, digits = 3): string {
  if (n === null || !Number.isFinite(n)) return '';
  if (Number.isInteger(n)) return String(n);
  // Below 1, significant digits: a fraction of 0.0002 prints as that, not as 0.
  return String(Number(Math.abs(n) >= 1 ? n.toFixed(digits) : n.toPrecision(digits)));
}

/** A digest shortened for a table cell: algorithm and the first 12 hex digits. */
export function short(digest: string): string {
  const [alg, hex] = digest.includes(':') ? digest.split(':') : ['', digest];
  return `${alg ? `${alg}:` : ''}${hex.slice(0, 12)}`;
}
