import type { Future } from './future.js';
import { type LatencyModel, serveMs } from './latency.js';
import type { SimResult } from './simulate.js';

/**
 * `pfoo-l`: an upper bound on the hit ratio, the byte hit ratio and the latency saved of any cache of a given
 * capacity, offline or online, after PFOO-L of Berger, Beckmann and Harchol-Balter ("Practical Bounds on
 * Optimal Caching with Variable Object Sizes", SIGMETRICS 2018), where it is the lower bound on the miss ratio.
 *
 * A hit on request j of an object last requested at i needs the object held through the cache states between
 * requests i and j: j - i states of at least its held size s (the smallest size it was requested with since
 * it was last invalidated, since a cache holds an object at the size it was admitted with). Every cache state
 * holds at most C bytes, so the hits of any cache over N requests use at most C × (N - 1) byte-states. Taking
 * the intervals that give most per byte-state first (for the hit ratio the cheapest, for the byte hit ratio the
 * shortest), and a fraction of the last one that fits, solves this relaxation exactly (a fractional knapsack),
 * so no cache does better. Intervals whose object is larger than C are left out (never admitted).
 *
 * It is not a schedule (it may hold more than C bytes at some instants), so it can be above the true optimum;
 * Belady-Size (`opt`) is a schedule, below or at the optimum: the optimum lies between the two.
 * Cost: one sort of the intervals per metric (three), O(N log N), one walk per capacity, and about 36 bytes
 * per interval while it runs, on top of the future's 12 bytes per request.
 */
export const boundName = 'pfoo-l';
export const boundDescription =
  'upper bound (offline, PFOO-L of Berger et al. 2018): no cache of this size gets more hits, hit bytes or latency saved';

interface Intervals {
  /** Byte-states each interval uses: held size × length. */
  cost: Float64Array;
  /** The size the object is held at (the smallest it was requested with so far). */
  held: Float64Array;
  /** Size of the request the interval ends with (the hit). */
  hitSize: Float64Array;
}

/** One interval per request that follows an earlier request of its object (no invalidation between). */
function intervals(future: Future): Intervals {
  const { next, size, length } = future;
  const heldAt = Float64Array.from(size);
  const cost = new Float64Array(length);
  const held = new Float64Array(length);
  const hitSize = new Float64Array(length);
  let count = 0;
  for (let i = 0; i < length; i++) {
    const j = next[i];
    if (j < 0) continue;
    if (heldAt[i] < heldAt[j]) heldAt[j] = heldAt[i];
    held[count] = heldAt[i];
    cost[count] = heldAt[i] * (j - i);
    hitSize[count++] = size[j];
  }
  return { cost: cost.subarray(0, count), held: held.subarray(0, count), hitSize: hitSize.subarray(0, count) };
}

/**
 * For each capacity, the most value within the budget capacity × states: the intervals whose object fits, by
 * value per cost (highest first), the last one taken fractionally. One sort, one walk per capacity.
 */
export function fractionalKnapsack(value: Float64Array, iv: Intervals, capacities: readonly number[], states: number): number[] {
  const { cost, held } = iv;
  const n = value.length;
  const ratio = new Float64Array(n);
  for (let k = 0; k < n; k++) ratio[k] = cost[k] > 0 ? value[k] / cost[k] : value[k] > 0 ? Infinity : 0;
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  order.sort((a, b) => ratio[b] - ratio[a] || a - b);
  return capacities.map((capacity) => {
    const budget = capacity * states;
    let spent = 0;
    let gained = 0;
    for (let k = 0; k < n; k++) {
      const x = order[k];
      if (held[x] > capacity || value[x] <= 0) continue;
      if (spent + cost[x] <= budget) {
        spent += cost[x];
        gained += value[x];
      } else {
        return gained + (value[x] * (budget - spent)) / cost[x];
      }
    }
    return gained;
  });
}

/** The bound at each capacity, as results beside the simulated policies. */
export function pfooLower(future: Future, capacities: readonly number[], latency: LatencyModel): SimResult[] {
  const requests = future.length;
  let bytes = 0;
  let backendMs = 0;
  for (let t = 0; t < requests; t++) {
    bytes += future.size[t];
    backendMs += serveMs(latency, undefined, future.size[t]);
  }
  const iv = intervals(future);
  const states = Math.max(0, requests - 1);
  const hits = fractionalKnapsack(new Float64Array(iv.hitSize.length).fill(1), iv, capacities, states);
  const hitBytes = fractionalKnapsack(iv.hitSize, iv, capacities, states);
  const saved = iv.hitSize.map((s) => Math.max(0, serveMs(latency, undefined, s) - serveMs(latency, 'memory', s)));
  const savedMs = fractionalKnapsack(saved, iv, capacities, states);
  return capacities.map((capacity, c) =>
    boundResult(capacity, requests, bytes, backendMs, Math.floor(hits[c] + 1e-9), Math.floor(hitBytes[c] + 1e-6), savedMs[c]),
  );
}

function boundResult(capacity: number, requests: number, bytes: number, backendMs: number, hits: number, hitBytes: number, savedMs: number): SimResult {
  const backend = backendMs / 1000;
  const saved = Math.min(backend, savedMs / 1000);
  return {
    label: boundName,
    policy: boundName,
    cache_size: capacity,
    disk_size: null,
    prefetch_timeout: null,
    requests,
    hits,
    hit_ratio: requests ? hits / requests : 0,
    memory_hits: hits,
    disk_hits: 0,
    bytes,
    hit_bytes: hitBytes,
    byte_hit_ratio: bytes ? hitBytes / bytes : 0,
    backend_latency_s: backend,
    latency_s: backend - saved,
    latency_saved_s: saved,
    latency_saved_ratio: backend ? saved / backend : 0,
    prefetches: 0,
    prefetch_bytes: 0,
    prefetch_hits: 0,
    prefetch_expired: 0,
    prefetch_evicted: 0,
  };
}
