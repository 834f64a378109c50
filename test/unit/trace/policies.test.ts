import { describe, expect, it } from 'vitest';
import { type Future, FutureBuilder } from '../../../src/trace/future.js';
import { ArcPolicy } from '../../../src/trace/policies/arc.js';
import { defaultPolicyParams, policies } from '../../../src/trace/policies/index.js';
import type { CachePolicy, PolicyParams } from '../../../src/trace/policies/policy.js';
import { TwoLevelPolicy } from '../../../src/trace/policies/two-level.js';
import { rng } from './gen.js';
import { refArc, refFifo, refLfu, refLru, type Req, refRCache, refTwoLevel } from './reference.js';

function make(name: string, capacity: number, params: Partial<PolicyParams> = {}, onEvict?: (k: string, s: number) => void, future?: Future): CachePolicy {
  return policies[name].create({ capacity, onEvict, params: { ...defaultPolicyParams, ...params }, future });
}

/** The future of a request sequence, for offline policies (every entry a cacheable GET). */
function futureOf(reqs: Req[]): Future {
  const b = new FutureBuilder();
  for (const [i, r] of reqs.entries()) b.add({ time: i, method: 'GET', kind: 'blob', key: r.key, size: r.size, status: 200, repository: null, client: null });
  return b.finish();
}

function run(policy: CachePolicy, reqs: Req[]): boolean[] {
  return reqs.map((r) => policy.access(r.key, r.size));
}

/** A skewed random request sequence over `objects` keys with sizes 1..maxSize (fixed per key). */
function sequence(seed: number, n: number, objects: number, maxSize: number): Req[] {
  const rand = rng(seed);
  const sizes = Array.from({ length: objects }, () => 1 + Math.floor(rand() * maxSize));
  return Array.from({ length: n }, () => {
    const k = Math.floor(rand() ** 2 * objects);
    return { key: `o${k}`, size: sizes[k] };
  });
}

const count = (hits: unknown[]) => hits.filter(Boolean).length;

describe('policies against reference implementations', () => {
  const cases = [
    { seed: 1, n: 3000, objects: 60, maxSize: 10, capacity: 40 },
    { seed: 2, n: 3000, objects: 200, maxSize: 50, capacity: 500 },
    { seed: 3, n: 2000, objects: 30, maxSize: 1, capacity: 7 },
    { seed: 4, n: 2000, objects: 100, maxSize: 300, capacity: 250 },
  ];

  it.each(cases)('lru, fifo and lfu make the same decisions as the references (%o)', ({ seed, n, objects, maxSize, capacity }) => {
    const reqs = sequence(seed, n, objects, maxSize);
    const lru = run(make('lru', capacity), reqs);
    const fifo = run(make('fifo', capacity), reqs);
    const lfu = run(make('lfu', capacity), reqs);
    expect(lru).toEqual(refLru(capacity, reqs));
    expect(fifo).toEqual(refFifo(capacity, reqs));
    expect(lfu).toEqual(refLfu(capacity, reqs));
    // The sequences are not trivial: some hits and some misses for every policy.
    for (const h of [lru, fifo, lfu]) expect(count(h)).toBeGreaterThan(0);
    for (const h of [lru, fifo, lfu]) expect(count(h)).toBeLessThan(n);
  });

  it.each([3, 5, 8, 16])('arc with unit sizes is the published algorithm (cache of %i pages)', (c) => {
    for (const seed of [11, 12, 13]) {
      const reqs = sequence(seed * c, 4000, 4 * c, 1);
      const arc = new ArcPolicy({ capacity: c, params: defaultPolicyParams });
      const got = run(arc, reqs);
      expect(got).toEqual(refArc(c, reqs.map((r) => r.key)));
      expect(arc.used).toBeLessThanOrEqual(c);
    }
  });

  it('arc keeps a re-used loop through a scan of one-time keys better than LRU', () => {
    // Keys 0..c-1 twice (promoting them to T2), then a long scan of one-time keys interleaved with the loop.
    const c = 10;
    const keys: string[] = [];
    for (let round = 0; round < 2; round++) for (let i = 0; i < c - 2; i++) keys.push(`hot${i}`);
    for (let i = 0; i < 400; i++) keys.push(i % 2 ? `scan${i}` : `hot${(i / 2) % (c - 2)}`);
    const reqs = keys.map((key) => ({ key, size: 1 }));
    const arc = count(run(make('arc', c), reqs));
    expect(arc).toBe(count(refArc(c, keys)));
    expect(arc).toBeGreaterThan(count(refLru(c, reqs)));
  });

  it('rcache admits small objects on their Nth request only', () => {
    for (const [minRequests, maxObject] of [
      [1, 20],
      [2, 20],
      [3, 8],
    ]) {
      const reqs = sequence(21 + minRequests, 3000, 80, 30);
      const got = run(make('rcache', 200, { rcache_min_requests: minRequests, rcache_max_object: maxObject }), reqs);
      expect(got).toEqual(refRCache(200, maxObject, minRequests, reqs));
      // No hit ever on an object above the bound.
      got.forEach((h, i) => {
        if (reqs[i].size > maxObject) expect(h).toBe(false);
      });
    }
  });

  it('two-level serves from the tiers a reference two-tier LRU says', () => {
    for (const [seed, memCap, ratio, maxObject] of [
      [31, 60, 3, 25],
      [32, 100, 10, 40],
      [33, 30, 2, 30],
    ]) {
      const reqs = sequence(seed, 3000, 120, 50);
      const policy = new TwoLevelPolicy({ capacity: memCap, params: { ...defaultPolicyParams, disk_ratio: ratio, two_level_max_object: maxObject } });
      const got = reqs.map((r) => (policy.access(r.key, r.size) ? policy.lastHitTier : false));
      expect(got).toEqual(refTwoLevel(memCap, ratio, maxObject, reqs));
      expect(got).toContain('memory');
      expect(got).toContain('disk');
      expect(policy.tiers.memory).toBeLessThanOrEqual(memCap);
      expect(policy.tiers.disk).toBeLessThanOrEqual(memCap * ratio);
    }
  });
});

describe('hand-checkable sequences', () => {
  const unit = (keys: string) => [...keys].map((key) => ({ key, size: 1 }));

  it('a loop one object larger than the cache never hits under LRU and FIFO', () => {
    for (let k = 2; k <= 6; k++) {
      const keys = Array.from({ length: 10 * k }, (_, i) => String.fromCharCode(97 + (i % k))).join('');
      expect(count(run(make('lru', k - 1), unit(keys)))).toBe(0);
      expect(count(run(make('fifo', k - 1), unit(keys)))).toBe(0);
    }
  });

  it('a cache as large as the working set misses each object once, whatever the policy', () => {
    const reqs = sequence(41, 2000, 50, 9);
    const distinct = new Map(reqs.map((r) => [r.key, r.size]));
    const footprint = [...distinct.values()].reduce((a, b) => a + b, 0);
    for (const name of ['lru', 'lfu', 'fifo', 'arc']) {
      expect(count(run(make(name, footprint), reqs))).toBe(reqs.length - distinct.size);
    }
    // Two-level: the memory tier alone holds everything small enough.
    expect(count(run(make('two-level', footprint, { two_level_max_object: 100 }), reqs))).toBe(reqs.length - distinct.size);
  });

  it('LRU and LFU differ as the definitions say', () => {
    // Capacity 2: a a a b c a. LRU: at c, evicts a (b is more recent) -> final a misses.
    // LFU: at c, evicts b (1 request) rather than a (3) -> final a hits.
    const reqs = unit('aaabca');
    expect(run(make('lru', 2), reqs)).toEqual([false, true, true, false, false, false]);
    expect(run(make('lfu', 2), reqs)).toEqual([false, true, true, false, false, true]);
    // FIFO: a b a c b: at c, evicts a (oldest admission) although a was just hit; b still hits.
    expect(run(make('fifo', 2), unit('abacb'))).toEqual([false, false, true, false, true]);
  });

  it('two-level: memory evictions spill to disk and come back on a hit', () => {
    // Memory 10 bytes, disk 20, objects of 5: a b c fills memory with b c and spills a.
    const p = new TwoLevelPolicy({ capacity: 10, params: { ...defaultPolicyParams, disk_ratio: 2, two_level_max_object: 6 } });
    const tier = (key: string, size: number) => (p.access(key, size) ? p.lastHitTier : 'miss');
    expect(['a', 'b', 'c'].map((k) => tier(k, 5))).toEqual(['miss', 'miss', 'miss']);
    expect(p.tiers).toEqual({ memory: 10, disk: 5 });
    expect(tier('a', 5)).toBe('disk'); // back to memory, b spills
    expect(tier('a', 5)).toBe('memory');
    expect(tier('b', 5)).toBe('disk'); // back to memory, c spills: memory a b, disk c
    expect(tier('big', 8)).toBe('miss'); // larger than the 6-byte bound: disk only, beside c
    expect(p.tiers).toEqual({ memory: 10, disk: 13 });
    expect(tier('big', 8)).toBe('disk');
  });
});

describe('every registered policy', () => {
  const names = Object.keys(policies);

  it.each(names)('%s keeps within its capacity, reports evictions and honours remove', (name) => {
    const capacity = 300;
    let evicted = 0;
    const reqs = sequence(51, 5000, 150, 60);
    const p = make(name, capacity, { rcache_min_requests: 1, rcache_max_object: 1000, two_level_max_object: 1000, disk_ratio: 1 }, (_, s) => (evicted += s), futureOf(reqs));
    const limit = name === 'two-level' ? capacity * 2 : capacity;
    let admitted = 0;
    let removed = 0;
    for (const [i, r] of reqs.entries()) {
      const before = p.has(r.key);
      const hit = p.access(r.key, r.size);
      expect(hit).toBe(before);
      expect(p.used).toBeLessThanOrEqual(limit);
      if (!before && p.has(r.key)) admitted += r.size;
      if (i % 97 === 0 && p.has(r.key)) {
        expect(p.remove(r.key)).toBe(true);
        expect(p.has(r.key)).toBe(false);
        removed += r.size;
      }
    }
    expect(p.remove('never-seen')).toBe(false);
    // Two-level reports only what leaves the disk tier; memory-to-disk moves stay inside the cache.
    expect(p.used).toBe(admitted - evicted - removed);
  });

  it.each(names)('%s never admits an object larger than the cache', (name) => {
    const huge = [1, 2, 3].map(() => ({ key: 'huge', size: 201 }));
    const p = make(name, 100, { rcache_min_requests: 1, rcache_max_object: 1e9, two_level_max_object: 1e9, disk_ratio: 1 }, undefined, futureOf(huge));
    for (const r of huge) expect(p.access(r.key, r.size)).toBe(false);
    expect(p.has('huge')).toBe(false);
    expect(p.used).toBe(0);
  });
});
