/**
 * The ratio estimator of the compression sample (docs/metrics.md "Compressed size of a design"). Units (distinct
 * contents, chunks, layers' metadata) are split into strata (file classes); in each, the compressed bytes of the
 * whole stratum are estimated as R * X, R = sum(y) / sum(x) over the sampled units (x: bytes, y: compressed
 * bytes) and X the bytes of all its units. Its variance is the jackknife's, (1 - n/N) X^2 (n-1)/n sum (R_(i) -
 * mean R_(.))^2 with R_(i) the ratio without unit i: on byte totals, where a few large units weigh most, it holds
 * its nominal coverage much better than the linearized variance (test/unit/analysis/estimate.test.ts measures
 * both). Strata add up, variances too; the interval is the estimate +- 1.96 standard errors (95%). A stratum with
 * fewer than MIN_STRATUM_SAMPLE units in the sample is pooled with the others like it; a pool still below that
 * joins the stratum with the most units in the sample. When every unit is in the sample the estimate is exact.
 */

/** The units of one stratum: how many, and their bytes. */
export interface StratumPopulation {
  stratum: string;
  population: number;
  population_bytes: number;
}

/** One unit in the sample: its stratum, bytes and compressed bytes. */
export interface SampleUnit {
  stratum: string;
  x: number;
  y: number;
}

/** An estimate of compressed bytes with its 95% confidence interval; exact when low = value = high. */
export interface Estimate {
  value: number;
  low: number;
  high: number;
  /** Standard error. */
  se: number;
}

export const MIN_STRATUM_SAMPLE = 2;
const Z95 = 1.959963984540054;

/** Which stratum each stratum is estimated in, after pooling the thin ones (see the module comment). */
export function poolStrata(strata: StratumPopulation[], units: SampleUnit[]): Map<string, string> {
  const n = new Map<string, number>();
  for (const u of units) n.set(u.stratum, (n.get(u.stratum) ?? 0) + 1);
  const count = (s: StratumPopulation) => n.get(s.stratum) ?? 0;
  const own = strata.filter((s) => count(s) >= MIN_STRATUM_SAMPLE);
  const thin = strata.filter((s) => count(s) < MIN_STRATUM_SAMPLE && s.population > 0);
  const pooled = thin.reduce((sum, s) => sum + count(s), 0) >= MIN_STRATUM_SAMPLE || own.length === 0;
  const biggest = own.reduce<StratumPopulation | null>((b, s) => (b === null || count(s) > count(b) ? s : b), null);
  const target = pooled ? 'pooled' : biggest!.stratum;
  return new Map([...own.map((s) => [s.stratum, s.stratum] as const), ...thin.map((s) => [s.stratum, target] as const)]);
}

interface Stratum {
  population: number;
  bytes: number;
  xs: number[];
  ys: number[];
}

function stratumEstimate(s: Stratum): { value: number; variance: number } | null {
  if (s.bytes === 0) return { value: 0, variance: 0 };
  const n = s.xs.length;
  if (n < MIN_STRATUM_SAMPLE && n < s.population) return null;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += s.xs[i]!;
    sy += s.ys[i]!;
  }
  const value = (sy / sx) * s.bytes;
  if (n >= s.population) return { value, variance: 0 };
  let mean = 0;
  const r = s.xs.map((x, i) => (sy - s.ys[i]!) / (sx - x));
  for (const v of r) mean += v / n;
  let ss = 0;
  for (const v of r) ss += (v - mean) * (v - mean);
  return { value, variance: (1 - n / s.population) * s.bytes * s.bytes * ((n - 1) / n) * ss };
}

/** The estimate over all strata, or null when some units have too few like them in the sample to say anything. */
export function ratioEstimate(strata: StratumPopulation[], units: SampleUnit[]): Estimate | null {
  const into = poolStrata(strata, units);
  const pooled = new Map<string, Stratum>();
  const get = (key: string) => pooled.get(key) ?? pooled.set(key, { population: 0, bytes: 0, xs: [], ys: [] }).get(key)!;
  for (const s of strata) {
    if (s.population === 0) continue;
    const p = get(into.get(s.stratum)!);
    p.population += s.population;
    p.bytes += s.population_bytes;
  }
  for (const u of units) {
    const p = get(into.get(u.stratum) ?? u.stratum);
    p.xs.push(u.x);
    p.ys.push(u.y);
  }
  let value = 0;
  let variance = 0;
  for (const s of pooled.values()) {
    const e = stratumEstimate(s);
    if (e === null) return null;
    value += e.value;
    variance += e.variance;
  }
  return fromVariance(value, variance);
}

/** An exact figure as an Estimate. */
export function exact(value: number): Estimate {
  return { value, low: value, high: value, se: 0 };
}

function fromVariance(value: number, variance: number): Estimate {
  const se = Math.sqrt(variance);
  return { value: Math.round(value), low: Math.max(0, Math.round(value - Z95 * se)), high: Math.round(value + Z95 * se), se };
}

/** The sum of independent estimates (variances add); null when any is null. */
export function sumEstimates(parts: (Estimate | null)[]): Estimate | null {
  if (parts.some((p) => p === null)) return null;
  const ps = parts as Estimate[];
  return fromVariance(ps.reduce((s, p) => s + p.value, 0), ps.reduce((s, p) => s + p.se * p.se, 0));
}
