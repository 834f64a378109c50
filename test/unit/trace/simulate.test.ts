import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultLatency, type LatencyModel } from '../../../src/trace/latency.js';
import { defaultPolicyParams, type PolicyEntry } from '../../../src/trace/policies/index.js';
import type { CachePolicy, PolicyContext } from '../../../src/trace/policies/policy.js';
import type { SimRequest } from '../../../src/trace/requests.js';
import { replay } from '../../../src/trace/simulate.js';
import type { SimulateSummary } from '../../../src/trace/sweep.js';
import { dipNotes, simulationMarkdown } from '../../../src/report/trace-simulation/markdown.js';
import { simulationCharts } from '../../../src/report/trace-simulation/charts.js';
import { drawn, seriesOf } from '../report/chart-data.js';
import { rng } from './gen.js';
import { refLru, refTwoLevel } from './reference.js';

const MiB = 1 << 20;
const root = join(import.meta.dirname, '..', '..', '..');

function req(time: number, key: string, size: number, over: Partial<SimRequest> = {}): SimRequest {
  const kind = key.startsWith('manifest:') ? 'manifest' : 'blob';
  return { time, method: 'GET', kind, key, size, status: 200, repository: 'r', client: 'c', ...over };
}

/** A mixed stream: cacheable GETs, failed GETs, HEADs, and manifest PUTs that invalidate. */
function stream(seed: number, n: number): SimRequest[] {
  const rand = rng(seed);
  const blobSizes = Array.from({ length: 120 }, () => Math.floor(rand() * 8 * MiB));
  const out: SimRequest[] = [];
  for (let i = 0; i < n; i++) {
    const x = rand();
    if (x < 0.65) {
      const b = Math.floor(rand() ** 2 * blobSizes.length);
      out.push(req(i * 100, `blob:b${b}`, blobSizes[b], { status: rand() < 0.05 ? 404 : 200 }));
    } else if (x < 0.9) {
      out.push(req(i * 100, `manifest:r${Math.floor(rand() * 5)}:latest`, 2000));
    } else if (x < 0.95) {
      out.push(req(i * 100, `manifest:r${Math.floor(rand() * 5)}:latest`, 0, { method: 'PUT', status: 201 }));
    } else {
      out.push(req(i * 100, `blob:b${Math.floor(rand() * 10)}`, 0, { method: 'HEAD' }));
    }
  }
  return out;
}

const ms = (l: LatencyModel, tier: 'memory' | 'disk' | 'backend', size: number) =>
  tier === 'memory' ? l.memory_ms + (size / MiB) * l.memory_ms_per_mib : tier === 'disk' ? l.disk_ms + (size / MiB) * l.disk_ms_per_mib : l.backend_ms + (size / MiB) * l.backend_ms_per_mib;

describe('trace player', () => {
  it('counts hits, bytes and latency as a separate loop over a reference LRU does, invalidations included', async () => {
    const reqs = stream(5, 6000);
    const capacity = 64 * MiB;
    const latency: LatencyModel = { memory_ms: 0.2, memory_ms_per_mib: 0.3, disk_ms: 2, disk_ms_per_mib: 3, backend_ms: 40, backend_ms_per_mib: 12 };
    const { results, requests, cacheable, invalidations } = await replay([reqs.slice(0, 1000), reqs.slice(1000)], [{ policy: 'lru', capacity }], { latency });
    // Reference: the cacheable requests and the invalidations, in order, through the reference LRU.
    const isCacheable = (r: SimRequest) => r.method === 'GET' && r.status !== null && r.status >= 200 && r.status < 300;
    const isInvalidation = (r: SimRequest) => r.method === 'PUT' && r.kind === 'manifest';
    const ops = reqs.filter((r) => isCacheable(r) || isInvalidation(r)).map((r) => ({ key: r.key, size: r.size, remove: isInvalidation(r) }));
    const hits = refLru(capacity, ops);
    const seq = ops.filter((o) => !o.remove);
    const seqHits = hits.filter((_, i) => !ops[i].remove);
    let hitCount = 0;
    let bytes = 0;
    let hitBytes = 0;
    let baseline = 0;
    let withCache = 0;
    seq.forEach((r, i) => {
      bytes += r.size;
      baseline += ms(latency, 'backend', r.size);
      if (seqHits[i]) {
        hitCount++;
        hitBytes += r.size;
        withCache += ms(latency, 'memory', r.size);
      } else withCache += ms(latency, 'backend', r.size);
    });
    const [res] = results;
    expect(requests).toBe(reqs.length);
    expect(cacheable).toBe(seq.length);
    expect(invalidations).toBe(reqs.filter(isInvalidation).length);
    expect(res.requests).toBe(seq.length);
    expect(res.hits).toBe(hitCount);
    expect(res.memory_hits).toBe(hitCount);
    expect(res.hit_ratio).toBeCloseTo(hitCount / seq.length, 12);
    expect(res.bytes).toBe(bytes);
    expect(res.hit_bytes).toBe(hitBytes);
    expect(res.byte_hit_ratio).toBeCloseTo(hitBytes / bytes, 12);
    expect(res.backend_latency_s).toBeCloseTo(baseline / 1000, 6);
    expect(res.latency_s).toBeCloseTo(withCache / 1000, 6);
    expect(res.latency_saved_s).toBeCloseTo((baseline - withCache) / 1000, 6);
    expect(res.latency_saved_ratio).toBeCloseTo((baseline - withCache) / baseline, 12);
    expect(hitCount).toBeGreaterThan(0);
  });

  it('charges disk hits of the two-level cache at the disk tier cost', async () => {
    const reqs = stream(6, 4000).filter((r) => r.method === 'GET' && r.status === 200);
    const params = { ...defaultPolicyParams, disk_ratio: 4, two_level_max_object: 4 * MiB };
    const capacity = 20 * MiB;
    const { results } = await replay([reqs], [{ policy: 'two-level', capacity }], { params });
    const tiers = refTwoLevel(capacity, 4, 4 * MiB, reqs);
    const [res] = results;
    expect(res.memory_hits).toBe(tiers.filter((t) => t === 'memory').length);
    expect(res.disk_hits).toBe(tiers.filter((t) => t === 'disk').length);
    expect(res.disk_size).toBe(capacity * 4);
    const expected = reqs.reduce((s, r, i) => s + ms(defaultLatency, tiers[i] || 'backend', r.size), 0);
    expect(res.latency_s).toBeCloseTo(expected / 1000, 6);
    expect(res.disk_hits).toBeGreaterThan(0);
  });

  it('runs every config in one pass and keeps configs independent', async () => {
    const reqs = stream(7, 3000);
    const configs = [16, 64, 256].flatMap((m) => ['lru', 'lfu', 'fifo', 'arc', 'rcache', 'two-level'].map((policy) => ({ policy, capacity: m * MiB })));
    const together = await replay([reqs], configs);
    for (const [i, c] of configs.entries()) {
      const alone = await replay([reqs], [c]);
      expect(together.results[i]).toEqual(alone.results[0]);
    }
  });

  it('a failed manifest PUT changes nothing, a blob DELETE leaves the digest-keyed blob, a partial answer is not cacheable', async () => {
    const reqs = [
      req(0, 'manifest:R:latest', 10),
      req(1, 'manifest:R:latest', 0, { method: 'PUT', status: 401 }),
      req(2, 'manifest:R:latest', 10), // hit: the refused PUT changed nothing
      req(3, 'manifest:R:latest', 0, { method: 'PUT', status: 201 }),
      req(4, 'manifest:R:latest', 10), // miss: the PUT replaced it
      req(5, 'blob:b', 50, { repository: 'a' }),
      req(6, 'blob:b', 0, { method: 'DELETE', status: 202, repository: 'a' }),
      req(7, 'blob:b', 50, { repository: 'other' }), // hit: the blob is still there for other repositories
      req(8, 'blob:p', 5, { status: 206 }), // a Range answer: 5 bytes of a 500-byte blob, not cacheable
      req(9, 'blob:p', 500),
      req(10, 'blob:p', 500), // hit
    ];
    const { results, cacheable, invalidations } = await replay([reqs], [{ policy: 'lru', capacity: 10_000 }]);
    expect([cacheable, invalidations]).toEqual([7, 1]);
    const [r] = results;
    expect([r.requests, r.hits]).toEqual([7, 3]);
    expect(r.hit_bytes).toBe(10 + 50 + 500);
    expect(r.bytes).toBe(10 + 10 + 10 + 50 + 50 + 500 + 500);
  });

  it('counts requests out of timestamp order', async () => {
    const s = await replay([[req(5, 'blob:a', 1), req(3, 'blob:a', 1), req(4, 'blob:b', 1), req(9, 'blob:b', 1)]], [{ policy: 'lru', capacity: 10 }]);
    expect(s.out_of_order).toBe(2);
  });

  it('refuses unknown policies and negative sizes', async () => {
    await expect(replay([[]], [{ policy: 'nope', capacity: 1 }])).rejects.toThrow(/unknown cache policy nope/);
    await expect(replay([[]], [{ policy: 'lru', capacity: -1 }])).rejects.toThrow(/cache size/);
  });

  it('accepts a policy added to the registry: the example of docs/trace.md', async () => {
    const MruPolicy = await docsExamplePolicy();
    const registry: Record<string, PolicyEntry> = { mru: { description: 'most recently used', create: (c) => new MruPolicy(c) } };
    // A loop of 5 unit objects through a cache of 4: LRU never hits, MRU keeps most of the loop.
    const loop = Array.from({ length: 50 }, (_, i) => req(i, `blob:${i % 5}`, 1));
    const mru = await replay([loop], [{ policy: 'mru', capacity: 4 }], { policies: registry });
    const lru = await replay([loop], [{ policy: 'lru', capacity: 4 }]);
    expect(lru.results[0].hits).toBe(0);
    expect(mru.results[0].hits).toBe(refMruHits(loop.map((r) => r.key), 4));
    expect(mru.results[0].hits).toBeGreaterThan(30);
  });
});

/** Compiles the MRU policy shown in docs/trace.md, so the documented example stays correct. */
async function docsExamplePolicy(): Promise<new (c: PolicyContext) => CachePolicy> {
  const docs = readFileSync(join(root, 'docs', 'trace.md'), 'utf8');
  const block = [...docs.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes('class MruPolicy'));
  if (!block) throw new Error('docs/trace.md has no MruPolicy example');
  const policies = join(root, 'src', 'trace', 'policies');
  const code = block.replace(/from '\.\/([\w-]+)\.js'/g, (_, f: string) => `from ${JSON.stringify(pathToFileURL(join(policies, `${f}.ts`)).href)}`);
  const dir = mkdtempSync(join(tmpdir(), 'imgscan-docs-policy-'));
  const file = join(dir, 'mru.ts');
  writeFileSync(file, code);
  try {
    const mod = (await import(pathToFileURL(file).href)) as { MruPolicy: new (c: PolicyContext) => CachePolicy };
    return mod.MruPolicy;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Unit-size MRU by list scan, for the registry test. */
function refMruHits(keys: string[], c: number): number {
  const list: string[] = [];
  let hits = 0;
  for (const k of keys) {
    const i = list.indexOf(k);
    if (i >= 0) {
      hits++;
      list.splice(i, 1);
      list.push(k);
      continue;
    }
    if (list.length === c) list.pop();
    list.push(k);
  }
  return hits;
}

describe('prefetching on a layer miss after a manifest GET (LCPA-style)', () => {
  // R has layers x, y, z (30 bytes each), pulled by A; a 100-byte blob w (repository S) evicts them from the
  // 100-byte cache. Client C GETs R's manifest and no layer (a check for updates). Client B GETs R's manifest,
  // then x (a miss: the pull has begun), then y and z.
  const reqs = (): SimRequest[] => [
    req(0, 'blob:x', 30, { repository: 'R', client: 'A' }),
    req(1000, 'blob:y', 30, { repository: 'R', client: 'A' }),
    req(2000, 'blob:z', 30, { repository: 'R', client: 'A' }),
    req(3000, 'blob:w', 100, { repository: 'S', client: 'A' }),
    req(10_000, 'manifest:R:latest', 0, { repository: 'R', client: 'C' }),
    req(20_000, 'manifest:R:latest', 0, { repository: 'R', client: 'B' }),
    req(21_000, 'blob:x', 30, { repository: 'R', client: 'B' }),
    req(22_000, 'blob:y', 30, { repository: 'R', client: 'B' }),
    req(23_000, 'blob:z', 30, { repository: 'R', client: 'B' }),
  ];
  const configs = [
    { policy: 'lru', capacity: 100, prefetchTimeout: 5 },
    { policy: 'lru', capacity: 100, prefetchTimeout: 5, prefetchTrigger: 'layer-miss' as const },
  ];

  it('starts at the first layer miss of a pull, not at a manifest GET that no layer follows', async () => {
    const [onManifest, onMiss] = (await replay([reqs()], configs)).results;
    // On manifest GET: C's GET at 10 s prefetches x, y, z (deadline 15 s: dropped unused); B's GET at 20 s (a
    // hit: C's GET cached the manifest) prefetches them again, and B's three layer requests hit: 4 hits.
    expect(onManifest.label).toBe('lru+prefetch 5s');
    expect([onManifest.prefetches, onManifest.prefetch_hits, onManifest.prefetch_expired, onManifest.hits]).toEqual([6, 3, 3, 4]);
    // On a layer miss: C starts nothing; B's miss on x at 21 s prefetches y and z (not x, being fetched), once:
    // the manifest and y and z hit.
    expect(onMiss.label).toBe('lru+prefetch-miss 5s');
    expect(onMiss.prefetch_trigger).toBe('layer-miss');
    expect([onMiss.prefetches, onMiss.prefetch_hits, onMiss.prefetch_expired, onMiss.prefetch_evicted, onMiss.hits]).toEqual([2, 2, 0, 0, 3]);
    expect(onMiss.prefetch_bytes).toBe(60);
  });

  it('does not start for a blob of another repository than the last manifest GET, nor twice in one pull', async () => {
    const other = [...reqs().slice(0, 6), req(21_000, 'blob:q', 30, { repository: 'S', client: 'B' })];
    const [, onMiss] = (await replay([other], configs)).results;
    expect(onMiss.prefetches).toBe(0);
    // Two misses in one pull (x and y both evicted, the cache too small for all): one prefetch round.
    const small = [{ policy: 'lru', capacity: 40, prefetchTimeout: 60, prefetchTrigger: 'layer-miss' as const }];
    const [r] = (await replay([reqs()], small)).results;
    // At x's miss (21 s) y and z are candidates: y is loaded (x is evicted for it), then z (y is evicted for it).
    // y's request misses (its prefetch: evicted) and, being in the same pull, starts no second round; y then
    // evicts z, whose request misses too: two prefetches, both evicted before use.
    expect([r.prefetches, r.prefetch_hits, r.prefetch_expired, r.prefetch_evicted, r.prefetch_pending]).toEqual([2, 0, 0, 2, 0]);
  });
});

describe('prefetching on manifest GET', () => {
  // Repository R has layers x and y (40 bytes each), pulled by client A. A 100-byte blob z (repository S)
  // then fills the 100-byte cache and evicts both. Client B fetches R's manifest at t = 10 s: x and y are
  // prefetched (z is evicted to make room). B asks for x at 15 s and y at `yAt`.
  const scenario = (yAt: number): SimRequest[] => [
    req(0, 'blob:x', 40, { repository: 'R', client: 'A' }),
    req(1000, 'blob:y', 40, { repository: 'R', client: 'A' }),
    req(2000, 'blob:z', 100, { repository: 'S', client: 'A' }),
    req(10_000, 'manifest:R:latest', 0, { repository: 'R', client: 'B' }),
    req(15_000, 'blob:x', 40, { repository: 'R', client: 'B' }),
    req(yAt, 'blob:y', 40, { repository: 'R', client: 'B' }),
  ];

  it('turns the layer requests after a manifest GET into hits', async () => {
    const s = await replay([scenario(20_000)], [{ policy: 'lru', capacity: 100 }, { policy: 'lru', capacity: 100, prefetchTimeout: 60 }]);
    const [plain, pre] = s.results;
    expect(plain.hits).toBe(0);
    expect(pre.label).toBe('lru+prefetch 60s');
    expect(pre.prefetches).toBe(2);
    expect(pre.prefetch_bytes).toBe(80);
    expect(pre.prefetch_hits).toBe(2);
    expect(pre.hits).toBe(2);
    expect(pre.prefetch_expired).toBe(0);
  });

  it('a second manifest GET gives a prefetched layer still waiting a new deadline', async () => {
    // L1 is evicted by Z, prefetched on B's manifest GET at 10 s (deadline 70 s), announced again by C's at 50 s:
    // C's request at 80 s is a hit.
    const reqs = [
      req(0, 'blob:L1', 100, { repository: 'R', client: 'A' }),
      req(1000, 'blob:Z', 100, { repository: 'S', client: 'A' }),
      req(10_000, 'manifest:R:latest', 0, { repository: 'R', client: 'B' }),
      req(50_000, 'manifest:R:latest', 0, { repository: 'R', client: 'C' }),
      req(80_000, 'blob:L1', 100, { repository: 'R', client: 'C' }),
    ];
    const [r] = (await replay([reqs], [{ policy: 'lru', capacity: 150, prefetchTimeout: 60 }])).results;
    expect([r.prefetches, r.prefetch_hits, r.prefetch_expired, r.prefetch_evicted]).toEqual([1, 1, 0, 0]);
  });

  it('accounts for every prefetch: used, expired, or evicted by the cache before its first request', async () => {
    // x and y (40 bytes each) are prefetched at 10 s; a 100-byte blob at 12 s evicts both before B asks.
    const reqs = [
      req(0, 'blob:x', 40, { repository: 'R', client: 'A' }),
      req(1000, 'blob:y', 40, { repository: 'R', client: 'A' }),
      req(2000, 'blob:z', 100, { repository: 'S', client: 'A' }),
      req(10_000, 'manifest:R:latest', 0, { repository: 'R', client: 'B' }),
      req(12_000, 'blob:w', 100, { repository: 'S', client: 'A' }),
      req(15_000, 'blob:x', 40, { repository: 'R', client: 'B' }), // evicted before its request: a miss
      req(80_000, 'blob:v', 10, { repository: 'S', client: 'A' }), // past y's deadline: y, evicted unrequested
    ];
    const [r] = (await replay([reqs], [{ policy: 'lru', capacity: 100, prefetchTimeout: 60 }])).results;
    expect(r.prefetches).toBe(2);
    expect([r.prefetch_hits, r.prefetch_expired, r.prefetch_evicted]).toEqual([0, 0, 2]);
  });

  it('a layer evicted unrequested and prefetched again ends its first prefetch as evicted', async () => {
    // x (40) is prefetched at 10 s on B's manifest GET, evicted by w (100) at 12 s, prefetched again on C's
    // manifest GET at 20 s and used by C at 25 s: two prefetches, one evicted, one used.
    const reqs = [
      req(0, 'blob:x', 40, { repository: 'R', client: 'A' }),
      req(1000, 'blob:z', 100, { repository: 'S', client: 'A' }),
      req(10_000, 'manifest:R:latest', 0, { repository: 'R', client: 'B' }),
      req(12_000, 'blob:w', 100, { repository: 'S', client: 'A' }),
      req(20_000, 'manifest:R:latest', 0, { repository: 'R', client: 'C' }),
      req(25_000, 'blob:x', 40, { repository: 'R', client: 'C' }),
    ];
    const [r] = (await replay([reqs], [{ policy: 'lru', capacity: 100, prefetchTimeout: 60 }])).results;
    expect([r.prefetches, r.prefetch_hits, r.prefetch_expired, r.prefetch_evicted, r.prefetch_pending]).toEqual([2, 1, 0, 1, 0]);
  });

  it('ends every prefetch as used, expired, evicted or pending, on random traces', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rand = rng(seed);
      const reqs: SimRequest[] = [];
      for (let i = 0; i < 3000; i++) {
        const repo = `R${Math.floor(rand() * 4)}`;
        const client = `c${Math.floor(rand() * 6)}`;
        if (rand() < 0.3) reqs.push(req(i * 1000, `manifest:${repo}:latest`, 0, { repository: repo, client }));
        else reqs.push(req(i * 1000, `blob:b${Math.floor(rand() * 40)}`, 1 + Math.floor(rand() * 60), { repository: repo, client }));
      }
      const configs = [30, 120, 400].flatMap((capacity) => [5, 60].map((prefetchTimeout) => ({ policy: 'lru', capacity, prefetchTimeout })));
      const s = await replay([reqs], configs);
      for (const r of s.results) {
        expect(r.prefetches, `seed ${seed} ${r.label} ${r.cache_size}`).toBeGreaterThan(0);
        expect(r.prefetch_hits + r.prefetch_expired + r.prefetch_evicted + r.prefetch_pending, `seed ${seed} ${r.label} ${r.cache_size}`).toBe(r.prefetches);
      }
    }
  });

  it('says why every prefetch figure is 0 when the trace has no manifest GET', async () => {
    const reqs = [req(0, 'blob:x', 40, { repository: 'R', client: 'A' }), req(1000, 'blob:x', 40, { repository: 'R', client: 'B' })];
    const replayed = await replay([reqs], [{ policy: 'lru', capacity: 100, prefetchTimeout: 60 }]);
    expect(replayed.manifest_gets).toBe(0);
    const summary: SimulateSummary = {
      data_dir: 'd', requests: 2, cacheable: 2, invalidations: 0, out_of_order: 0, manifest_gets: 0, objects: 1, footprint_bytes: 40,
      first: null, last: null, sizes: [100], prefetch_policy: 'lru', prefetch_timeouts: [60], latency: defaultLatency, results: replayed.results, per_source: [], prefetch_max_layers: 32, warmup_s: 0, params: defaultPolicyParams,
    } as SimulateSummary;
    const md = simulationMarkdown(summary, ['prefetch'], [], []);
    expect(md).toContain('no successful manifest GET: prefetching on manifest GET is never triggered');
    // The report says what invalidates, as the replay does it (a blob DELETE does not: see the test above).
    expect(md).toContain('invalidations (successful manifest PUT or DELETE; a blob DELETE unlinks the blob from one repository and invalidates nothing)');
  });

  it('drops prefetched layers not requested within the timeout', async () => {
    // Timeout 8 s: x (asked at 15 s) is in time, y (asked at 30 s) is dropped at its 18 s deadline.
    const s = await replay([scenario(30_000)], [{ policy: 'lru', capacity: 100, prefetchTimeout: 8 }]);
    const [r] = s.results;
    expect(r.prefetches).toBe(2);
    expect(r.prefetch_hits).toBe(1);
    expect(r.prefetch_expired).toBe(1);
    expect(r.hits).toBe(1);
  });

  it('does not prefetch layers the client already pulled', async () => {
    const reqs = scenario(20_000).map((r) => (r.client === 'B' ? { ...r, client: 'A' } : r));
    const s = await replay([reqs], [{ policy: 'lru', capacity: 100, prefetchTimeout: 60 }]);
    expect(s.results[0].prefetches).toBe(0);
    expect(s.results[0].hits).toBe(0);
  });

  it('remembers only the layers fetched most recently through the repository', async () => {
    // A pulls l0..l5 through R (10 bytes each), then z (100 bytes) empties the 100-byte cache.
    const pulls = Array.from({ length: 6 }, (_, i) => req(i * 1000, `blob:l${i}`, 10, { repository: 'R', client: 'A' }));
    const reqs = [
      ...pulls,
      req(7000, 'blob:l2', 10, { repository: 'R', client: 'A' }), // l2 becomes the most recent
      req(8000, 'blob:z', 100, { repository: 'S', client: 'A' }),
      req(10_000, 'manifest:R:latest', 0, { repository: 'R', client: 'B' }),
      ...['l0', 'l1', 'l2', 'l3', 'l4', 'l5'].map((k, i) => req(11_000 + i, `blob:${k}`, 10, { repository: 'R', client: 'B' })),
    ];
    const s = await replay([reqs], [{ policy: 'lru', capacity: 100, prefetchTimeout: 60 }], { prefetchMaxLayers: 3 });
    // The 3 most recent: l4, l5, l2. Hits: A's second l2 (still cached then), and B's l2, l4, l5.
    expect(s.results[0].prefetches).toBe(3);
    expect(s.results[0].prefetch_hits).toBe(3);
    expect(s.results[0].hits).toBe(4);
  });

  it('does not prefetch what is cached already', async () => {
    const s = await replay([scenario(20_000)], [{ policy: 'lru', capacity: 1000, prefetchTimeout: 60 }]);
    const [r] = s.results;
    expect(r.prefetches).toBe(0);
    expect(r.hits).toBe(2);
  });
});

describe('the simulation report', () => {
  // LRU over a, b (60 bytes each) and c (30), requested a b c a b c ...: a 40-byte cache never admits a or b and
  // keeps c, which hits every time; from 70 bytes a or b is admitted and the cycle evicts each object just before
  // its next request (no hit at all) until 160 bytes hold all three. The curve falls from 40 to 70 bytes.
  const cyclic = (): SimRequest[] => Array.from({ length: 60 }, (_, i) => req(i * 1000, `blob:${'abc'[i % 3]}`, [60, 60, 30][i % 3]!));

  it('names each curve that falls as the cache grows, and only those', async () => {
    const sizes = [40, 70, 100, 130, 160];
    const replayed = await replay([cyclic()], sizes.map((capacity) => ({ policy: 'lru', capacity })));
    const summary = { sizes, results: replayed.results } as SimulateSummary;
    const falls = replayed.results.slice(1).flatMap((r, i) => {
      const a = replayed.results[i]!;
      return [...(r.hit_ratio < a.hit_ratio ? [`hit ratio at ${a.cache_size}`] : []), ...(r.byte_hit_ratio < a.byte_hit_ratio ? [`byte hit ratio at ${a.cache_size}`] : [])];
    });
    expect(falls.length).toBeGreaterThan(0);
    const notes = dipNotes(summary).filter((l) => l.startsWith('- '));
    expect(notes.length).toBe(falls.length);
    const monotone = { sizes, results: replayed.results.map((r, i) => ({ ...r, hit_ratio: i / 10, byte_hit_ratio: i / 10 })) } as SimulateSummary;
    expect(dipNotes(monotone)).toEqual([]);
  });

  it('plots two-level at its total capacity, memory and disk together', async () => {
    const replayed = await replay([cyclic()], [{ policy: 'two-level', capacity: 50 }, { policy: 'lru', capacity: 50 }]);
    const summary = { sizes: [50], prefetch_timeouts: [], results: replayed.results } as unknown as SimulateSummary;
    const chart = simulationCharts(summary).find((c) => c.file === 'hit-ratio.svg')!;
    const series = seriesOf((await drawn(chart.spec)).sets.points);
    expect([...series.keys()]).toEqual(['two-level (memory + disk)', 'lru']);
    expect(series.get('two-level (memory + disk)')![0]![0]).toBe(50 + replayed.results[0]!.disk_size!);
    expect(series.get('lru')![0]![0]).toBe(50);
  });
});

describe('a warm-up', () => {
  it('goes through every cache but is not counted', async () => {
    // x at 0, 10 s and 20 s: with a 15 s warm-up only the third request counts, and it hits (the warm-up loaded x).
    const reqs = [req(0, 'blob:x', 10), req(10_000, 'blob:x', 10), req(20_000, 'blob:x', 10)];
    const [all] = (await replay([reqs], [{ policy: 'lru', capacity: 100 }])).results;
    const [warm] = (await replay([reqs], [{ policy: 'lru', capacity: 100 }], { warmupUntil: 15_000 })).results;
    expect([all.requests, all.hits, all.bytes]).toEqual([3, 2, 30]);
    expect([warm.requests, warm.hits, warm.bytes, warm.hit_ratio]).toEqual([1, 1, 10, 1]);
  });
});
