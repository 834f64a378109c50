/**
 * Cumulative distributions for the charts: points (x, fraction of the weight at values <= x), one per distinct
 * x in increasing order. Pure functions.
 */
export type Point = [number, number];

/** From (value, weight) pairs, e.g. (bucket upper end, files in the bucket). */
export function cdfOfWeights(items: readonly { x: number; weight: number }[]): Point[] {
  const byX = new Map<number, number>();
  for (const i of items) byX.set(i.x, (byX.get(i.x) ?? 0) + i.weight);
  const xs = [...byX.keys()].sort((a, b) => a - b);
  const total = xs.reduce((s, x) => s + byX.get(x)!, 0);
  if (total <= 0) return [];
  let run = 0;
  return xs.map((x) => {
    run += byX.get(x)!;
    return [x, run / total];
  });
}

/** From raw values, each weighing 1; with more than `maxPoints` distinct values, every k-th point and the last. */
export function cdfOfValues(values: readonly number[], maxPoints = 400): Point[] {
  const points = cdfOfWeights(values.map((x) => ({ x, weight: 1 })));
  if (points.length <= maxPoints) return points;
  const step = Math.ceil(points.length / maxPoints);
  return points.filter((_, i) => i % step === 0 || i === points.length - 1);
}
