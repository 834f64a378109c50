import { LruPolicy } from './lru.js';
import type { CachePolicy, PolicyContext, Tier } from './policy.js';

/**
 * The two-level layer cache of the FAST'18 registry study: a memory tier of the given capacity for objects of
 * at most `two_level_max_object` bytes (100 MB there), and a disk (SSD) tier `disk_ratio` times larger. Objects
 * evicted from memory spill to disk; larger objects go to disk directly. A disk hit moves a small enough
 * object back to memory. The tiers are exclusive and each is LRU. `used` counts both tiers.
 */
export class TwoLevelPolicy implements CachePolicy {
  private readonly memory: LruPolicy;
  private readonly disk: LruPolicy;
  lastHitTier: Tier | undefined;

  constructor(private readonly context: PolicyContext) {
    this.disk = new LruPolicy({ capacity: context.capacity * context.params.disk_ratio, onEvict: context.onEvict });
    this.memory = new LruPolicy({ capacity: context.capacity, onEvict: (key, size) => this.disk.access(key, size) });
  }

  get used(): number {
    return this.memory.used + this.disk.used;
  }

  /** Bytes held in each tier. */
  get tiers(): { memory: number; disk: number } {
    return { memory: this.memory.used, disk: this.disk.used };
  }

  has(key: string): boolean {
    return this.memory.has(key) || this.disk.has(key);
  }

  access(key: string, size: number): boolean {
    if (this.memory.has(key)) {
      this.memory.access(key, size);
      this.lastHitTier = 'memory';
      return true;
    }
    if (this.disk.has(key)) {
      this.lastHitTier = 'disk';
      if (this.fitsMemory(size)) {
        this.disk.remove(key);
        this.memory.access(key, size);
      } else {
        this.disk.access(key, size);
      }
      return true;
    }
    this.lastHitTier = undefined;
    if (this.fitsMemory(size)) this.memory.access(key, size);
    else this.disk.access(key, size);
    return false;
  }

  remove(key: string): boolean {
    return this.memory.remove(key) || this.disk.remove(key);
  }

  private fitsMemory(size: number): boolean {
    return size <= this.context.params.two_level_max_object && size <= this.context.capacity;
  }
}
