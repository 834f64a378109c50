import type { CachePolicy, PolicyContext } from './policy.js';

/** First in, first out: evicts the object admitted longest ago; hits do not change the order. */
export class FifoPolicy implements CachePolicy {
  /** key -> size, oldest admission first. */
  private readonly items = new Map<string, number>();
  used = 0;

  constructor(private readonly context: PolicyContext) {}

  has(key: string): boolean {
    return this.items.has(key);
  }

  access(key: string, size: number): boolean {
    if (this.items.has(key)) return true;
    if (size > this.context.capacity) return false;
    for (const [k, s] of this.items) {
      if (this.used + size <= this.context.capacity) break;
      this.items.delete(k);
      this.used -= s;
      this.context.onEvict?.(k, s);
    }
    this.items.set(key, size);
    this.used += size;
    return false;
  }

  remove(key: string): boolean {
    const s = this.items.get(key);
    if (s === undefined) return false;
    this.items.delete(key);
    this.used -= s;
    return true;
  }
}
