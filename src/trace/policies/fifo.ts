import { DList, type Node, node } from './list.js';
import type { CachePolicy, PolicyContext } from './policy.js';

/** First in, first out: evicts the object admitted longest ago; hits do not change the order. */
export class FifoPolicy implements CachePolicy {
  private readonly items = new Map<string, Node>();
  /** Oldest admission first. */
  private readonly order = new DList();

  constructor(private readonly context: PolicyContext) {}

  get used(): number {
    return this.order.bytes;
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  access(key: string, size: number): boolean {
    if (this.items.has(key)) return true;
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
