/**
 * The interface every cache policy implements. A policy holds objects of different sizes within a capacity
 * in bytes; the simulator asks it about each request in timestamp order. To add a policy, write a class with
 * these members in a file of its own and register a factory in ./index.ts (docs/trace.md shows an example).
 */
import type { Future } from '../future.js';

export type Tier = 'memory' | 'disk';

export interface CachePolicy {
  /** Bytes held now; never more than the capacity. */
  readonly used: number;
  /** Tiered caches set this on every hit to the tier that served it; single-tier caches leave it undefined (memory). */
  readonly lastHitTier?: Tier;
  /** True when the object is held. Must not change any state (no recency or frequency update). */
  has(key: string): boolean;
  /**
   * A request for an object of `size` bytes. Returns true on a hit, after updating the policy's state.
   * On a miss the policy decides whether to admit the object; admitting may evict others (report each
   * eviction through `PolicyContext.onEvict`). An object larger than the capacity is never admitted.
   */
  access(key: string, size: number): boolean;
  /** Drops an object without an eviction callback (invalidation, prefetch timeout); true when it was held. */
  remove(key: string): boolean;
}

export interface PolicyContext {
  /** Capacity in bytes. */
  capacity: number;
  /** Called for each object the policy evicts to make room (not for `remove`). */
  onEvict?: (key: string, size: number) => void;
  /** Options of the configurable policies. */
  params: PolicyParams;
  /** The trace's future, for offline policies (`PolicyEntry.offline`); online policies never read it. */
  future?: Future;
}

export interface PolicyParams {
  /** R-cache: largest object admitted, bytes. */
  rcache_max_object: number;
  /** R-cache: requests an object needs (this one included) before it is admitted. */
  rcache_min_requests: number;
  /** Two-level: largest object kept in the memory tier, bytes; larger objects go to disk only. */
  two_level_max_object: number;
  /** Two-level: the disk tier is this many times the memory tier's capacity. */
  disk_ratio: number;
}

export const defaultPolicyParams: PolicyParams = {
  rcache_max_object: 1 << 20,
  rcache_min_requests: 2,
  two_level_max_object: 100 * (1 << 20),
  disk_ratio: 10,
};

export type PolicyFactory = (context: PolicyContext) => CachePolicy;
