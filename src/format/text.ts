/** Numbers as people read them: sizes in binary units, durations in h/m/s. */

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

/**
 * Report cells. Two percent formats, on purpose: `formatPercent` is the one-decimal figure of the trace
 * reports; `formatPercentFine` (the redundancy report) also keeps what one decimal would hide: two decimals
 * just below 100% and two significant digits below 0.1%. Both print nothing for a missing or non-finite value.
 */

/** A fraction as a percentage with one decimal, e.g. 0.4213 -> "42.1%". */
export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : '';
}

/** A fraction as a percentage: one decimal, two near 100%, two significant digits below 0.1%. */
export function formatPercentFine(f: number | null): string {
  if (f === null || !Number.isFinite(f)) return '';
  if (f > 0 && f < 0.001) return `${Number((f * 100).toPrecision(2))}%`;
  return `${(f * 100).toFixed(f > 0.999 && f < 1 ? 2 : 1)}%`;
}

/** A size in binary units with the exact byte count beside it, e.g. "1.5 KiB (1536)". */
export function formatBytesExact(n: number | null): string {
  return n === null ? '' : `${formatBytes(n)} (${n})`;
}

/** A ratio with three decimals and an x, e.g. "1.250x". */
export function formatRatio(r: number | null): string {
  return r === null || !Number.isFinite(r) ? '' : `${r.toFixed(3)}x`;
}

/** Integers as they are; from 1 up `digits` decimals, below 1 `digits` significant digits. */
export function formatDecimal(n: number | null, digits = 3): string {
  if (n === null || !Number.isFinite(n)) return '';
  if (Number.isInteger(n)) return String(n);
  // Below 1, significant digits: a fraction of 0.0002 prints as that, not as 0.
  return String(Number(Math.abs(n) >= 1 ? n.toFixed(digits) : n.toPrecision(digits)));
}

/** A digest shortened for a table cell: algorithm and the first 12 hex digits. */
export function shortDigest(digest: string): string {
  const [alg, hex] = digest.includes(':') ? digest.split(':') : ['', digest];
  return `${alg ? `${alg}:` : ''}${hex.slice(0, 12)}`;
}
