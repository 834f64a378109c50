import { DList, type Node, node } from './list.js';
import type { CachePolicy, PolicyContext } from './policy.js';

/**
 * Least frequently used: evicts the object with the fewest requests since it was admitted; among equals, the
 * one least recently requested. Counts start again when an object is evicted and admitted anew.
 * O(1) per request: objects sit in one list per request count, each list in recency order.
 */
export class LfuPolicy implements CachePolicy {
  private readonly items = new Map<string, Node>();
  private readonly buckets = new Map<number, DList>();
  private minCount = 1;
  used = 0;

  constructor(private readonly context: PolicyContext) {}

  has(key: string): boolean {
    return this.items.has(key);
  }

  access(key: string, size: number): boolean {
    const item = this.items.get(key);
    if (item) {
      this.unlink(item);
      item.count++;
      this.link(item);
      return true;
    }
    if (size > this.context.capacity) return false;
    while (this.used + size > this.context.capacity) this.evictOne();
    const n = node(key, size);
    this.items.set(key, n);
    this.link(n);
    this.minCount = 1;
    this.used += size;
    return false;
  }

  remove(key: string): boolean {
    const item = this.items.get(key);
    if (!item) return false;
    this.unlink(item);
    this.items.delete(key);
    this.used -= item.size;
    return true;
  }

  private evictOne(): void {
    let bucket = this.buckets.get(this.minCount);
    while (!bucket) bucket = this.buckets.get(++this.minCount);
    const victim = bucket.head!;
    this.remove(victim.key);
    this.context.onEvict?.(victim.key, victim.size);
  }

  private link(n: Node): void {
    let bucket = this.buckets.get(n.count);
    if (!bucket) this.buckets.set(n.count, (bucket = new DList()));
    bucket.push(n);
  }

  private unlink(n: Node): void {
    const bucket = this.buckets.get(n.count)!;
    bucket.remove(n);
    if (bucket.length === 0) {
      this.buckets.delete(n.count);
      if (this.minCount === n.count) this.minCount = n.count + 1;
    }
  }
}
