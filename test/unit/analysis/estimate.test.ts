import { describe, expect, it } from 'vitest';
import { prng as random } from './build.js';
import { poolStrata, ratioEstimate, type SampleUnit, type StratumPopulation } from '../../../src/analysis/estimate.js';

interface Unit {
  stratum: string;
  x: number;
  y: number;
}

/**
 * A population like a registry's contents: sizes log-normal over five orders of magnitude, each class with its
 * own typical ratio and a spread around it per unit (text 3-5x, binaries about 2.5x, archives barely compress).
 */
function population(r: () => number, n: number): Unit[] {
  const classes = [
    { stratum: 'text', ratio: 4, spread: 0.5, share: 0.5 },
    { stratum: 'elf', ratio: 2.5, spread: 0.3, share: 0.3 },
    { stratum: 'archive', ratio: 1.02, spread: 0.02, share: 0.15 },
    { stratum: 'sqlite', ratio: 6, spread: 1, share: 0.05 },
  ];
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return Array.from({ length: n }, () => {
    let u = r();
    const c = classes.find((k) => (u -= k.share) < 0) ?? classes[0]!;
    const x = Math.max(1, Math.round(Math.exp(8 + 2.2 * normal())));
    const ratio = Math.max(1, c.ratio + c.spread * normal());
    return { stratum: c.stratum, x, y: Math.round(x / ratio) + 20 };
  });
}

/** What the SQL of the analysis gives: the population of each stratum, and the units in the sample. */
function split(units: Unit[], inSample: (u: Unit) => boolean): { strata: StratumPopulation[]; sample: SampleUnit[] } {
  const by = new Map<string, StratumPopulation>();
  for (const u of units) {
    const s = by.get(u.stratum) ?? { stratum: u.stratum, population: 0, population_bytes: 0 };
    by.set(u.stratum, s);
    s.population++;
    s.population_bytes += u.x;
  }
  return { strata: [...by.values()], sample: units.filter(inSample) };
}

/** The textbook linearized interval of the same estimator, for comparison. */
function linearized(strata: StratumPopulation[], sample: SampleUnit[]): { low: number; high: number } {
  let value = 0;
  let variance = 0;
  for (const s of strata) {
    const mine = sample.filter((u) => u.stratum === s.stratum);
    const n = mine.length;
    const r = mine.reduce((a, u) => a + u.y, 0) / mine.reduce((a, u) => a + u.x, 0);
    value += r * s.population_bytes;
    const e2 = mine.reduce((a, u) => a + (u.y - r * u.x) ** 2, 0);
    variance += (s.population ** 2 * (1 - n / s.population) * e2) / (n - 1) / n;
  }
  return { low: value - 1.96 * Math.sqrt(variance), high: value + 1.96 * Math.sqrt(variance) };
}

describe('the ratio estimator of the compression sample', () => {
  it('is exact when every unit is in the sample', () => {
    const units = population(random(1), 2000);
    const { strata, sample } = split(units, () => true);
    const e = ratioEstimate(strata, sample)!;
    const total = units.reduce((s, u) => s + u.y, 0);
    expect(e).toEqual({ value: total, low: total, high: total, se: 0 });
  });

  it('covers the exact total with its 95% interval in most samples, far more often than the linearized interval', () => {
    // 400 populations, each sampled at a rate between 2% and 20% by an independent coin per unit (as a hash
    // threshold samples distinct contents), class by class. Sizes this heavy-tailed (a few contents hold most
    // bytes) are where intervals from a small sample fall short of their nominal 95%; the jackknife's
    // falls short far less.
    const r = random(42);
    let covered = 0;
    let coveredLinearized = 0;
    let trials = 0;
    for (let t = 0; t < 400; t++) {
      const units = population(r, 3000 + Math.floor(r() * 3000));
      const rate = 0.02 + r() * 0.18;
      const coin = new Map(units.map((u) => [u, r() < rate]));
      const { strata, sample } = split(units, (u) => coin.get(u)!);
      const e = ratioEstimate(strata, sample);
      if (e === null) continue;
      trials++;
      const truth = units.reduce((s, u) => s + u.y, 0);
      if (truth >= e.low && truth <= e.high) covered++;
      const lin = linearized(strata, sample);
      if (truth >= lin.low && truth <= lin.high) coveredLinearized++;
    }
    expect(trials).toBeGreaterThan(390);
    const coverage = covered / trials;
    console.log(`coverage of the 95% interval over ${trials} samples: jackknife ${coverage.toFixed(3)}, linearized ${(coveredLinearized / trials).toFixed(3)}`);
    expect(coverage).toBeGreaterThan(0.85);
    expect(coverage).toBeLessThan(0.99);
    expect(coverage - coveredLinearized / trials).toBeGreaterThan(0.05);
  });

  it('pools the classes too thin to stand alone, into the biggest when the pool is still thin', () => {
    const pop = (stratum: string): StratumPopulation => ({ stratum, population: 10, population_bytes: 1000 });
    const units = (stratum: string, n: number): SampleUnit[] => Array.from({ length: n }, (_, i) => ({ stratum, x: 100 + i, y: (100 + i) / 2 }));
    expect([...poolStrata([pop('a'), pop('b'), pop('c')], [...units('a', 5), ...units('b', 1), ...units('c', 1)])]).toEqual([['a', 'a'], ['b', 'pooled'], ['c', 'pooled']]);
    expect([...poolStrata([pop('a'), pop('b'), pop('c')], [...units('a', 5), ...units('b', 3), ...units('c', 1)])]).toEqual([['a', 'a'], ['b', 'b'], ['c', 'a']]);
    // One content sampled out of many: too few to say anything.
    expect(ratioEstimate([pop('a')], units('a', 1))).toBeNull();
    // Ratio 2 everywhere: the estimate is half the bytes, with no spread.
    expect(ratioEstimate([pop('a'), pop('b')], [...units('a', 5), ...units('b', 3)])).toEqual({ value: 1000, low: 1000, high: 1000, se: 0 });
  });
});
