/** Ratios as docs/metrics.md defines them, with the conventions for empty datasets in one place. */

/** total / distinct, or 1 when nothing is stored (no redundancy). */
export function dedupRatio(total: number, distinct: number): number {
  return distinct > 0 ? total / distinct : 1;
}

/** 1 - 1/ratio: the share of bytes that deduplication removes. */
export function savings(ratio: number): number {
  return ratio > 0 ? 1 - 1 / ratio : 0;
}

/** part / whole, or 0 for an empty whole. */
export function fraction(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

/**
 * The q-quantile with linear interpolation between order statistics at position q * (n - 1), as DuckDB's
 * quantile_cont; null for no values.
 */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
