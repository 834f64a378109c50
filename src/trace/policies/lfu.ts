import type { CachePolicy, PolicyContext } from './policy.js';

/**
 * Least frequently used: evicts the object with the fewest requests since it was admitted; among equals, the
 * one least recently requested. Counts start again when an object is evicted and admitted anew.
 * O(1) per request: objects sit in one bucket per request count, each bucket in recency order.
 */
export class LfuPolicy implements CachePolicy {
  private readonly items = new Map<string, { size: number; count: number }>();
  private readonly buckets = new Map<number, Set<string>>();
  private minCount = 1;
  used = 0;

  constructor(private readonly context: PolicyContext) {}

  has(key: string): boolean {
    return this.items.has(key);
  }

  access(key: string, size: number): boolean {
    const item = this.items.get(key);
    if (item) {
      this.unlink(key, item.count);
      item.count++;
      this.link(key, item.count);
      return true;
    }
    if (size > this.context.capacity) return false;
    while (this.used + size > this.context.capacity) this.evictOne();
    this.items.set(key, { size, count: 1 });
    this.link(key, 1);
    this.minCount = 1;
    this.used += size;
    return false;
  }

  remove(key: string): boolean {
    const item = this.items.get(key);
    if (!item) return false;
    this.unlink(key, item.count);
    this.items.delete(key);
    this.used -= item.size;
    return true;
  }

  private evictOne(): void {
    let bucket = this.buckets.get(this.minCount);
    while (!bucket) bucket = this.buckets.get(++this.minCount);
    const key = bucket.values().next().value as string;
    const item = this.items.get(key)!;
    this.remove(key);
    this.context.onEvict?.(key, item.size);
  }

  private link(key: string, count: number): void {
    let bucket = this.buckets.get(count);
    if (!bucket) this.buckets.set(count, (bucket = new Set()));
    bucket.add(key);
  }

  private unlink(key: string, count: number): void {
    const bucket = this.buckets.get(count)!;
    bucket.delete(key);
    if (bucket.size === 0) {
      this.buckets.delete(count);
      if (this.minCount === count) this.minCount = count + 1;
    }
  }
}
