import type { CachePolicy, PolicyContext } from './policy.js';

/** Least recently used: evicts the object whose last request is oldest. */
export class LruPolicy implements CachePolicy {
  /** key -> size, least recently used first (a Map keeps insertion order; a hit re-inserts). */
  private readonly items = new Map<string, number>();
  used = 0;

  constructor(private readonly context: Pick<PolicyContext, 'capacity' | 'onEvict'>) {}

  has(key: string): boolean {
    return this.items.has(key);
  }

  access(key: string, size: number): boolean {
    const held = this.items.get(key);
    if (held !== undefined) {
      this.items.delete(key);
      this.items.set(key, held);
      return true;
    }
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
