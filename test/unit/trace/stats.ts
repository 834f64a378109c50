/** Plain statistics for the tests, computed without SQL. */

/** The p-quantile as the ceil(p*n)-th smallest (the first for p = 0), at p = k/steps. */
export function quantilesOf(values: number[], steps = 200): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return Array.from({ length: steps + 1 }, (_, k) => sorted[Math.max(1, Math.ceil((sorted.length * k) / steps)) - 1]);
}

/** Occurrences per key. */
export function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const it of items) m.set(key(it), (m.get(key(it)) ?? 0) + 1);
  return m;
}

/** Share of the total held by the largest ceil(fraction * n) counts. */
export function topShare(counts: number[], fraction: number): number {
  const sorted = [...counts].sort((a, b) => b - a);
  const k = Math.max(1, Math.ceil(sorted.length * fraction));
  const total = sorted.reduce((a, b) => a + b, 0);
  return sorted.slice(0, k).reduce((a, b) => a + b, 0) / total;
}

/** Least squares of ln(count) on ln(rank), ranks by descending count: { alpha: -slope, r2 }. */
export function zipfFit(counts: number[]): { alpha: number; c: number; r2: number } {
  const ys = [...counts].sort((a, b) => b - a).map(Math.log);
  const xs = ys.map((_, i) => Math.log(i + 1));
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return { alpha: -sxy / sxx, c: my + (sxy / sxx) * -mx, r2: (sxy * sxy) / (sxx * syy) };
}
