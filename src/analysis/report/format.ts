import { formatBytes } from '../../cli/progress.js';

/** Cell formats of report.md: exact numbers stay in the CSV files and summary.json. */
export function bytes(n: number | null): string {
  return n === null ? '' : `${formatBytes(n)} (${n})`;
}

export function pct(f: number | null): string {
  return f === null || !Number.isFinite(f) ? '' : `${(f * 100).toFixed(1)}%`;
}

export function times(r: number | null): string {
  return r === null || !Number.isFinite(r) ? '' : `${r.toFixed(3)}x`;
}

export function num(n: number | null, digits = 3): string {
  if (n === null || !Number.isFinite(n)) return '';
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(digits)));
}

/** A digest shortened for a table cell: algorithm and the first 12 hex digits. */
export function short(digest: string): string {
  const [alg, hex] = digest.includes(':') ? digest.split(':') : ['', digest];
  return `${alg ? `${alg}:` : ''}${hex.slice(0, 12)}`;
}
