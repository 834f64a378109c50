import { DList, type Node, node } from './list.js';
import type { CachePolicy, PolicyContext } from './policy.js';

/** Least recently used: evicts the object whose last request is oldest. */
export class LruPolicy implements CachePolicy {
  private readonly items = new Map<string, Node>();
  /** Least recently used first. */
  private readonly order = new DList();

  constructor(private readonly context: Pick<PolicyContext, 'capacity' | 'onEvict'>) {}

  get used(): number {
    return this.order.bytes;
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  access(key: string, size: number): boolean {
    const held = this.items.get(key);
    if (held) {
      this.order.moveToBack(held);
      return true;
    }
    if (size > this.context.capacity) return false;
    while (this.order.bytes + size > this.context.capacity) {
      const victim = this.order.shift()!;
      this.items.delete(victim.key);
      this.context.onEvict?.(victim.key, victim.size);
    }
    const n = node(key, size);
    this.items.set(key, n);
    this.order.push(n);
    return false;
  }

  remove(key: string): boolean {
    const n = this.items.get(key);
    if (!n) return false;
    this.items.delete(key);
    this.order.remove(n);
    return true;
  }
}
