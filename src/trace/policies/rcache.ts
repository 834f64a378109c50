import { LruPolicy } from './lru.js';
import type { CachePolicy, PolicyContext } from './policy.js';

/**
 * R-cache: a memory cache in the registry for small, hot layers. Only objects of at most `rcache_max_object`
 * bytes are admitted, and only once they have been requested `rcache_min_requests` times (counted over the
 * whole trace so far, hits included); admitted objects are replaced in LRU order.
 */
export class RCachePolicy implements CachePolicy {
  private readonly lru: LruPolicy;
  private readonly requests = new Map<string, number>();

  constructor(private readonly context: PolicyContext) {
    this.lru = new LruPolicy(context);
  }

  get used(): number {
    return this.lru.used;
  }

  has(key: string): boolean {
    return this.lru.has(key);
  }

  access(key: string, size: number): boolean {
    const n = (this.requests.get(key) ?? 0) + 1;
    this.requests.set(key, n);
    if (this.lru.has(key)) return this.lru.access(key, size);
    if (size <= this.context.params.rcache_max_object && n >= this.context.params.rcache_min_requests) this.lru.access(key, size);
    return false;
  }

  remove(key: string): boolean {
    return this.lru.remove(key);
  }
}
