import { describe, expect, it } from 'vitest';
import { pfooLower } from '../../../src/trace/bounds.js';
import { type Future, FutureBuilder } from '../../../src/trace/future.js';
import { defaultLatency } from '../../../src/trace/latency.js';
import { defaultPolicyParams, policies } from '../../../src/trace/policies/index.js';
import type { SimRequest } from '../../../src/trace/requests.js';
import { replay } from '../../../src/trace/simulate.js';
import { rng } from './gen.js';
import { bruteForce, refBelady, refPfooL } from './offline-reference.js';
import { refLru, type Req } from './reference.js';

/** The requests as the player sees them: manifest GETs, and a successful PUT for each removal (an invalidation). */
function sims(reqs: Req[]): SimRequest[] {
  return reqs.map((r, i) => ({
    time: i,
    method: r.remove ? 'PUT' : 'GET',
    kind: 'manifest',
    key: r.key,
    size: r.remove ? 0 : r.size,
    status: r.remove ? 201 : 200,
    repository: 'r',
    client: 'c',
  }));
}

function futureOf(reqs: Req[]): Future {
  const b = new FutureBuilder(4);
  for (const r of sims(reqs)) b.add(r);
  return b.finish();
}

/** The opt policy's decision on each entry (false for removals). */
function opt(capacity: number, reqs: Req[]): boolean[] {
  const p = policies.opt.create({ capacity, params: defaultPolicyParams, future: futureOf(reqs) });
  return reqs.map((r) => (r.remove ? (p.remove(r.key), false) : p.access(r.key, r.size)));
}

const unit = (keys: string) => [...keys].map((key) => ({ key, size: 1 }));
const hits = (h: boolean[]) => h.filter(Boolean).length;
const hitBytes = (reqs: Req[], h: boolean[]) => reqs.reduce((s, r, i) => (h[i] ? s + r.size : s), 0);

/** `n` requests over `objects` keys, skewed, sizes 1..maxSize fixed per key; with `removals`, some entries remove a key. */
function random(seed: number, n: number, objects: number, maxSize: number, removals = 0): Req[] {
  const rand = rng(seed);
  const sizes = Array.from({ length: objects }, () => 1 + Math.floor(rand() * maxSize));
  return Array.from({ length: n }, () => {
    const k = Math.floor(rand() ** 1.5 * objects);
    return rand() < removals ? { key: `k${k}`, size: 0, remove: true } : { key: `k${k}`, size: sizes[k] };
  });
}

describe("Belady's OPT on traces worked by hand", () => {
  it('a b c a b c in a cache of 2: keep a and b, bypass c', () => {
    // a and b miss and are admitted. c misses: the next requests are a (t3), b (t4), c (t5); c's is furthest, so
    // c is not admitted. a and b hit (2 hits); the last c misses. No schedule does better: 3 objects, 2 places,
    // one of the three second requests must miss. LRU evicts exactly the object requested next: no hit.
    const reqs = unit('abcabc');
    const got = opt(2, reqs);
    expect(hits(got)).toBe(bruteForce(2, reqs).hits);
    expect(got).toEqual([false, false, false, true, true, false]);
    expect(hits(refLru(2, reqs))).toBe(0);
  });

  it('the textbook reference string in 3 frames: one hit more than demand paging, by not loading 4', () => {
    // 7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1 with 3 frames: OPT that must load every miss faults 9 times
    // (11 hits). A cache may also decline: page 4 is requested once, so loading it (evicting 0, 2 or 3,
    // all requested again soon) costs a later miss; bypassing it keeps them: 12 hits, the brute-force optimum.
    const reqs = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1].map((p) => ({ key: `p${p}`, size: 1 }));
    const got = opt(3, reqs);
    expect(hits(got)).toBe(bruteForce(3, reqs).hits);
    expect(got[7]).toBe(false); // 4 misses and is not admitted...
    expect(got.slice(8, 11)).toEqual([true, true, true]); // ...so 2, 3 and 0 after it all hit
  });

  it('with variable sizes furthest-in-future is not optimal (Belady-Size)', () => {
    // Cache of 2 bytes: B (2 bytes) x y B x y, x and y of 1 byte. B is admitted; x misses and is requested
    // again at t4, after B's next request (t3): B stays, x is bypassed, and so is y. B hits once: 1 hit.
    // Evicting B at t1 for x and y instead gives 2 hits (x and y at t4 and t5): the optimum, by brute force.
    // In bytes both schedules hit 2 bytes.
    const reqs = [
      { key: 'B', size: 2 },
      { key: 'x', size: 1 },
      { key: 'y', size: 1 },
      { key: 'B', size: 2 },
      { key: 'x', size: 1 },
      { key: 'y', size: 1 },
    ];
    const got = opt(2, reqs);
    const best = bruteForce(2, reqs);
    expect(hits(got)).toBeLessThan(best.hits);
    expect(got).toEqual([false, false, false, true, false, false]);
    expect(hitBytes(reqs, got)).toBe(best.hitBytes);
    // The upper bound is at or above the optimum.
    const [bound] = pfooLower(futureOf(reqs), [2], defaultLatency);
    expect(bound.hits).toBeGreaterThanOrEqual(best.hits);
    expect(bound.hit_bytes).toBeGreaterThanOrEqual(best.hitBytes);
  });

  it('an invalidation ends the object: the request after it misses, the one before it is not kept for it', () => {
    // a (t0), PUT a, a (t1), a (t2): the first a has no next use through the cached copy, so it is not admitted;
    // the second a is admitted for the third: 1 hit.
    const reqs: Req[] = [{ key: 'a', size: 1 }, { key: 'a', size: 0, remove: true }, { key: 'a', size: 1 }, { key: 'a', size: 1 }];
    expect(opt(1, reqs)).toEqual([false, false, false, true]);
    expect(opt(1, reqs)).toEqual(refBelady(1, reqs));
  });
});

describe('replaying an offline policy', () => {
  const reqs = random(3, 200, 20, 5, 0.05);

  it('needs the future of the same requests, and takes no prefetches', async () => {
    await expect(replay([sims(reqs)], [{ policy: 'opt', capacity: 10 }])).rejects.toThrow(/offline: it needs the future/);
    await expect(replay([sims(reqs)], [{ policy: 'opt', capacity: 10, prefetchTimeout: 60 }], { future: futureOf(reqs) })).rejects.toThrow(/cannot take prefetches/);
    await expect(replay([sims(reqs.slice(0, 150))], [{ policy: 'opt', capacity: 10 }], { future: futureOf(reqs) })).rejects.toThrow(/the future holds/);
  });

  it('gives the hits and hit bytes of the reference through the player', async () => {
    const { results } = await replay([sims(reqs)], [{ policy: 'opt', capacity: 12 }], { future: futureOf(reqs) });
    const ref = refBelady(12, reqs);
    expect(results[0].hits).toBe(hits(ref));
    expect(results[0].hit_bytes).toBe(hitBytes(reqs, ref));
    expect(results[0].requests).toBe(reqs.filter((r) => !r.remove).length);
  });
});

describe("Belady's OPT against brute force and references", () => {
  it('with objects of one size, equals the optimum over all eviction choices', () => {
    let nontrivial = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const rand = rng(seed * 7919);
      const reqs = random(seed, 8 + Math.floor(rand() * 7), 3 + Math.floor(rand() * 4), 1);
      const capacity = 1 + Math.floor(rand() * 3);
      const got = hits(opt(capacity, reqs));
      const best = bruteForce(capacity, reqs).hits;
      expect(got, `seed ${seed}`).toBe(best);
      if (best > hits(refLru(capacity, reqs))) nontrivial++;
    }
    // Many of these traces are ones where LRU falls short of the optimum.
    expect(nontrivial).toBeGreaterThan(20);
  });

  it('with variable sizes, stays at or below the optimum, and the pfoo-l bound at or above it', () => {
    let below = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const rand = rng(seed * 104729);
      const reqs = random(seed + 1000, 10 + Math.floor(rand() * 7), 4 + Math.floor(rand() * 3), 6);
      const capacity = 3 + Math.floor(rand() * 8);
      const got = opt(capacity, reqs);
      const best = bruteForce(capacity, reqs);
      const [bound] = pfooLower(futureOf(reqs), [capacity], defaultLatency);
      expect(hits(got), `seed ${seed}`).toBeLessThanOrEqual(best.hits);
      expect(bound.hits, `seed ${seed}`).toBeGreaterThanOrEqual(best.hits);
      expect(bound.hit_bytes, `seed ${seed}`).toBeGreaterThanOrEqual(best.hitBytes);
      if (hits(got) < best.hits) below++;
    }
    expect(below).toBeGreaterThan(0);
  });

  it('makes the decisions of the plain furthest-in-future reference, invalidations included', () => {
    for (const [seed, capacity, maxSize] of [
      [1, 5, 1],
      [2, 40, 10],
      [3, 300, 100],
      [4, 17, 9],
    ]) {
      const reqs = random(seed, 1500, 80, maxSize, 0.03);
      const got = opt(capacity, reqs);
      expect(got).toEqual(refBelady(capacity, reqs));
      expect(hits(got)).toBeGreaterThan(0);
    }
  });

  it('computes each next use as a forward scan does', () => {
    const reqs = random(9, 2000, 50, 5, 0.05);
    const requests = reqs.map((r, i) => ({ r, i })).filter((x) => !x.r.remove);
    const expected = requests.map(({ r, i }) => {
      for (let u = i + 1; u < reqs.length; u++) {
        if (reqs[u].key !== r.key) continue;
        return reqs[u].remove ? -1 : requests.findIndex((x) => x.i === u);
      }
      return -1;
    });
    const future = futureOf(reqs);
    expect(future.length).toBe(requests.length);
    expect([...future.next]).toEqual(expected);
    expect([...future.size]).toEqual(requests.map((x) => x.r.size));
  });
});

describe('the pfoo-l upper bound', () => {
  it('is the PFOO-L relaxation solved from its definition', () => {
    for (const [seed, maxSize, removals] of [
      [1, 1, 0],
      [2, 50, 0],
      [3, 1000, 0.02],
      [4, 7, 0.1],
    ]) {
      const reqs = random(seed, 2000, 150, maxSize, removals);
      const capacities = [1, maxSize, 10 * maxSize, 40 * maxSize];
      const got = pfooLower(futureOf(reqs), capacities, defaultLatency);
      for (const [c, capacity] of capacities.entries()) {
        const ref = refPfooL(capacity, reqs);
        expect(got[c].hits).toBe(Math.floor(ref.hits + 1e-9));
        expect(got[c].hit_bytes).toBe(Math.floor(ref.hitBytes + 1e-6));
        expect(got[c].requests).toBe(reqs.filter((r) => !r.remove).length);
      }
    }
  });

  it('is at or above every policy in hits, hit bytes and latency saved on random traces', async () => {
    const names = Object.keys(policies);
    for (const seed of [5, 6, 7]) {
      const reqs = random(seed, 3000, 200, 500, 0.02);
      const future = futureOf(reqs);
      const capacities = [100, 1000, 5000, 20_000];
      const bound = pfooLower(future, capacities, defaultLatency);
      // Two-level holds its disk tier beside the memory tier: compare it with the bound at its total size.
      const params = { ...defaultPolicyParams, disk_ratio: 2, two_level_max_object: 200 };
      const whole = pfooLower(future, capacities.map((c) => c * (1 + params.disk_ratio)), { ...defaultLatency, disk_ms: 0.1, disk_ms_per_mib: 0.1 });
      const configs = names.flatMap((policy) => capacities.map((capacity) => ({ policy, capacity })));
      const { results } = await replay([sims(reqs)], configs, { future, params, latency: { ...defaultLatency, disk_ms: 0.1, disk_ms_per_mib: 0.1 } });
      for (const r of results) {
        const b = (r.policy === 'two-level' ? whole : bound)[capacities.indexOf(r.cache_size)];
        expect(b.hits, `${r.policy} ${r.cache_size}`).toBeGreaterThanOrEqual(r.hits);
        expect(b.hit_bytes, `${r.policy} ${r.cache_size}`).toBeGreaterThanOrEqual(r.hit_bytes);
        expect(b.latency_saved_s, `${r.policy} ${r.cache_size}`).toBeGreaterThanOrEqual(r.latency_saved_s - 1e-9);
        expect(b.requests).toBe(r.requests);
        expect(b.bytes).toBe(r.bytes);
      }
    }
  });

  it('with a warm-up, bounds every policy on the requests counted after it', async () => {
    const names = Object.keys(policies).filter((n) => n !== 'two-level');
    for (const seed of [8, 9]) {
      const reqs = random(seed, 3000, 200, 500, 0.02);
      const future = futureOf(reqs);
      const capacities = [100, 1000, 5000];
      // sims() times request i at i ms: a warm-up until 1000 ms leaves out the first 1000 requests, of which
      // the cacheable ones (removals are not) are the bound's first positions.
      const from = reqs.slice(0, 1000).filter((r) => !r.remove).length;
      const bound = pfooLower(future, capacities, defaultLatency, from);
      const configs = names.flatMap((policy) => capacities.map((capacity) => ({ policy, capacity })));
      const { results } = await replay([sims(reqs)], configs, { future, warmupUntil: 1000 });
      for (const r of results) {
        const b = bound[capacities.indexOf(r.cache_size)]!;
        expect(r.requests, r.policy).toBe(reqs.slice(1000).filter((x) => !x.remove).length);
        expect(b.requests).toBe(r.requests);
        expect(b.hits, `${r.policy} ${r.cache_size}`).toBeGreaterThanOrEqual(r.hits);
        expect(b.hit_bytes, `${r.policy} ${r.cache_size}`).toBeGreaterThanOrEqual(r.hit_bytes);
      }
    }
  });
});
