import type { Future } from './future.js';
import { type LatencyModel, serveMs } from './latency.js';
import { sortDescending } from './sort.js';
import { noPrefetches, type SimResult } from './simulate.js';

/**
 * `pfoo-l`: an upper bound on the hit ratio, the byte hit ratio and the latency saved of any cache of a given
 * capacity, offline or online, after PFOO-L of Berger, Beckmann and Harchol-Balter ("Practical Bounds on
 * Optimal Caching with Variable Object Sizes", SIGMETRICS 2018), where it is the lower bound on the miss ratio.
 *
 * A hit on request j of an object last requested at i needs the object held through the cache states between
 * requests i and j: j - i states of at least its held size s (the smallest size it was requested with since
 * it was last invalidated, since a cache holds an object at the size it was admitted with). Every cache state
 * holds at most C bytes, so the hits of any cache over N requests use at most C × (N - 1) byte-states. Taking
 * the intervals that give most per byte-state first (for the hit ratio the cheapest; for the byte hit ratio,
 * when an object's size does not change, the shortest), and a fraction of the last one that fits, solves this
 * relaxation exactly (a fractional knapsack), so no cache that admits objects when they are requested does
 * better (prefetching does not). Intervals whose object is larger than C are left out (never admitted).
 *
 * It is not a schedule (it may hold more than C bytes at some instants), so it can be above the true optimum;
 * Belady-Size (`opt`) is a schedule, below or at the optimum: the optimum lies between the two.
 * Cost: one sort of the intervals per metric (three), O(N log N), one walk over them for all capacities, and
 * 20 bytes per request while it runs (held sizes, sort keys and order), on top of the future's 12.
 */
export const boundName = 'pfoo-l';
export const boundDescription =
  'upper bound (offline, PFOO-L of Berger et al. 2018): no cache of this size gets more hits, hit bytes or latency saved';

/** The value of a hit on a request of s bytes: perHit + perByte × s (never below 0). */
interface Worth {
  perHit: number;
  perByte: number;
}

/**
 * For each request, the size its object is held at if kept from there to its next request: the smallest size
 * the object was requested with since it was last invalidated. The interval starting at request i ends at
 * `future.next[i]`: its cost is held[i] × (next[i] - i) byte-states.
 */
function heldSizes(future: Future): Float64Array {
  const { next, length } = future;
  const held = Float64Array.from(future.size);
  for (let i = 0; i < length; i++) {
    const j = next[i];
    if (j >= 0 && held[i] < held[j]) held[j] = held[i];
  }
  return held;
}

/**
 * For each capacity, the most value within the budget capacity × states: the intervals whose object fits, by
 * value per cost (highest first), the last one taken fractionally. One sort, one walk for all capacities.
 */
function fractionalKnapsack(future: Future, held: Float64Array, worth: Worth, capacities: readonly number[], states: number, from = 0): number[] {
  const { next, size } = future;
  const largest = Math.max(...capacities);
  // An interval is worth its hit only when the hit is counted (at or after `from`).
  const value = (i: number) => (next[i] < from ? 0 : Math.max(0, worth.perHit + worth.perByte * size[next[i]]));
  let n = 0;
  for (let i = 0; i < future.length; i++) if (next[i] >= 0 && held[i] <= largest && value(i) > 0) n++;
  const ratio = new Float64Array(n);
  const order = new Uint32Array(n);
  for (let i = 0, k = 0; i < future.length; i++) {
    if (next[i] < 0 || held[i] > largest || !(value(i) > 0)) continue;
    const cost = held[i] * (next[i] - i);
    ratio[k] = cost > 0 ? value(i) / cost : Infinity;
    order[k++] = i;
  }
  sortDescending(ratio, order);
  // One walk for all capacities: each takes the intervals whose object fits it, until its budget is spent.
  const budget = capacities.map((c) => c * states);
  const spent = capacities.map(() => 0);
  const gained = capacities.map(() => 0);
  const open = capacities.map(() => true);
  let left = capacities.length;
  for (let k = 0; k < n && left > 0; k++) {
    const i = order[k];
    const v = value(i);
    const c = held[i] * (next[i] - i);
    for (let m = 0; m < capacities.length; m++) {
      if (!open[m] || held[i] > capacities[m]) continue;
      if (spent[m] + c <= budget[m]) {
        spent[m] += c;
        gained[m] += v;
      } else {
        gained[m] += (v * (budget[m] - spent[m])) / c;
        open[m] = false;
        left--;
      }
    }
  }
  return gained;
}

/** The bound at each capacity, as results beside the simulated policies. */
export function pfooLower(future: Future, capacities: readonly number[], latency: LatencyModel, from = 0): SimResult[] {
  // With a warm-up, only the requests from position `from` on count (hits among them, their bytes), while the
  // byte-states of the whole trace stay the budget: still no cache does better on the requests counted.
  const requests = future.length - from;
  let bytes = 0;
  let backend_ms = 0;
  for (let t = from; t < future.length; t++) {
    bytes += future.size[t];
    backend_ms += serveMs(latency, undefined, future.size[t]);
  }
  if (capacities.length === 0) return [];
  const held = heldSizes(future);
  const states = Math.max(0, future.length - 1);
  const hits = fractionalKnapsack(future, held, { perHit: 1, perByte: 0 }, capacities, states, from);
  const hitBytes = fractionalKnapsack(future, held, { perHit: 0, perByte: 1 }, capacities, states, from);
  // Latency saved by a hit served from memory: the backend's cost minus the memory tier's, linear in the size.
  const saved = { perHit: latency.backend_ms - latency.memory_ms, perByte: (latency.backend_ms_per_mib - latency.memory_ms_per_mib) / (1 << 20) };
  const savedMs = fractionalKnapsack(future, held, saved, capacities, states, from);
  return capacities.map((capacity, c) =>
    boundResult(capacity, requests, bytes, backend_ms, Math.floor(hits[c] + 1e-9), Math.floor(hitBytes[c] + 1e-6), savedMs[c]),
  );
}

function boundResult(capacity: number, requests: number, bytes: number, backend_ms: number, hits: number, hitBytes: number, savedMs: number): SimResult {
  const backend = backend_ms / 1000;
  const saved = Math.min(backend, savedMs / 1000);
  return {
    label: boundName,
    policy: boundName,
    cache_size: capacity,
    disk_size: null,
    prefetch_timeout: null,
    prefetch_trigger: null,
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
    ...noPrefetches,
  };
}
