import { describe, expect, it } from 'vitest';
import { Fast18Cache, fast18Key } from '../../../src/trace/fast18.js';
import { Fast18Prefetch, fast18Repository } from '../../../src/trace/fast18-prefetch.js';

/**
 * The FAST'18 player's cache (its cache.py), on a trace reasoned out by hand from its rules: a 10-byte memory
 * tier (objects under 10 bytes: the 100 MiB limit is cut to the memory size), a disk tier twice as large, every
 * object 6 bytes, so memory holds one object and the disk three.
 *
 *  1. x   memory miss, disk miss; memory [x]
 *  2. q   memory full: x goes to disk (memory's first eviction: warm-up over); memory [q], disk [x]
 *  3. x   disk hit: x is promoted, its disk-list entry left behind (x'); q goes to disk: list [x' q]
 *  4. r   x goes to disk again: list [x' q x]
 *  5. s   r goes to disk: list [x' q x r], 18 of 20 bytes
 *  6. t   s must go to disk and something leave it (the disk's first eviction: its warm-up over). The player pops
 *         x' first and counts it against x's new stay: x leaves, although q is older. Corrected: x' is skipped
 *         and q, the least recently used, leaves.
 *  7. x   the player misses x on disk; the corrected model hits it.
 */
const trace = ['x', 'q', 'x', 'r', 's', 't', 'x'];

function run(faithful: boolean): Fast18Cache {
  const c = new Fast18Cache(10, 2, faithful);
  for (const k of trace) c.place(k, 6);
  return c;
}

describe("the FAST'18 player's cache model", () => {
  it('reproduces the player: a promoted object is evicted early by its own stale disk-list entry', () => {
    const c = run(true);
    expect(c.counts).toEqual({
      memory_hits: 0, memory_misses: 7, initial_memory_misses: 2, memory_evictions: 6,
      disk_hits: 1, disk_misses: 6, initial_disk_misses: 5, disk_evictions: 2,
      initial_memory_hits: 0, initial_memory_disk_hits: 0, initial_disk_hits: 1,
    });
    // Warm-up excluded: memory misses after step 2, both tiers' hits and misses after step 6.
    expect(c.figures()).toEqual({ lmu_hits: 0, lmu_misses: 5, h_hits: 0, h_misses: 1 });
  });

  it('corrected, evicts the least recently used object and hits x', () => {
    const c = run(false);
    // Step 7: x is promoted from disk, so t fits beside r and s: one disk eviction (q's), not two.
    expect(c.counts).toMatchObject({ disk_hits: 2, disk_misses: 5, disk_evictions: 1, memory_evictions: 6 });
    expect(c.figures()).toEqual({ lmu_hits: 0, lmu_misses: 5, h_hits: 1, h_misses: 0 });
  });

  it('counts memory hits, and sends objects as large as the memory limit straight to disk', () => {
    const c = new Fast18Cache(10, 2, true);
    for (const [k, size] of [['a', 4], ['a', 4], ['big', 10], ['big', 10]] as const) c.place(k, size);
    // a: miss then hit in memory (memory never filled: both in its warm-up); big (10 >= the 10-byte limit): a
    // memory miss and a disk miss, then a memory miss and a disk hit, the disk never having evicted (warm-up).
    expect(c.counts).toMatchObject({ memory_hits: 1, initial_memory_hits: 1, memory_misses: 3, disk_misses: 2, disk_hits: 1, initial_disk_hits: 1 });
    expect(c.figures()).toEqual({ lmu_hits: 0, lmu_misses: 0, h_hits: 0, h_misses: 0 });
  });

  it('keys an object by the last segment of its URI', () => {
    expect(fast18Key('/v2/library/ubuntu/blobs/sha256:abc')).toBe('sha256:abc');
  });
});

describe("the FAST'18 player's prefetching model", () => {
  it('counts as its rules say, on a trace worked by hand', () => {
    const p = new Fast18Prefetch();
    // A pushes layers of 5000 and 9000 bytes and a 300-byte manifest to v2/lib (PUTs record every size).
    p.put('PUT', false, 'v2/lib', 'A', 5000);
    p.put('PUT', false, 'v2/lib', 'A', 9000);
    p.put('PUT', true, 'v2/lib', 'A', 300);
    // A layer GET of a repository with nothing prefetched: a miss.
    p.put('GET', false, 'v2/lib', 'B', 5000);
    // B's manifest GET prefetches the three sizes (B had none): 14300 bytes held.
    p.put('GET', true, 'v2/lib', 'B', 300);
    // C's manifest GET renews them (same sizes): nothing added.
    p.put('GET', true, 'v2/lib', 'C', 300);
    // A layer GET of 5500 bytes is within 1000 bytes of 5000 only: one hit; of 9999, of 9000 only (8999 < 9000 <
    // 10999): one hit; of 700, of 300 only: one hit. All three prefetched sizes are then good.
    p.put('GET', false, 'v2/lib', 'B', 5500);
    p.put('GET', false, 'v2/lib', 'B', 9999);
    p.put('GET', false, 'v2/lib', 'B', 700);
    // Of 20000 in the repository: matches nothing, neither hit nor miss. Another namespace: a miss.
    p.put('GET', false, 'v2/lib', 'B', 20000);
    p.put('GET', false, 'v2/other', 'B', 5000);
    expect(p.finish()).toEqual({
      hits: 3, misses: 2, good_prefetches: 3, bad_prefetches: 0, max_prefetched_bytes: 14300,
      puts: 3, layer_gets: 6, manifest_gets: 2, hits_per_prefetch: 1,
    });
  });

  it('counts a layer once per prefetched size it is near, so hits can outnumber prefetches', () => {
    const p = new Fast18Prefetch();
    p.put('PUT', false, 'v2/x', 'A', 1000);
    p.put('PUT', false, 'v2/x', 'A', 1500);
    p.put('GET', true, 'v2/x', 'B', 10);
    p.put('GET', false, 'v2/x', 'B', 1200);
    expect(p.finish()).toMatchObject({ hits: 2, good_prefetches: 2, bad_prefetches: 0, hits_per_prefetch: 1 });
  });

  it("takes a URI's first two segments as the repository, as the player splits it", () => {
    expect(fast18Repository('/v2/library/ubuntu/blobs/sha256:abc')).toBe('v2/library');
  });
});
