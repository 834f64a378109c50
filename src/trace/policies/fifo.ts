import { DList, type Node, node } from './list.js';
import type { CachePolicy, PolicyContext } from './policy.js';

/** First in, first out: evicts the object admitted longest ago; hits do not change the order. */
export class FifoPolicy implements CachePolicy {
  protected readonly items = new Map<string, Node>();
  /** Oldest admission first (for LRU: least recently used first). */
  protected readonly order = new DList();

  constructor(private readonly context: Pick<PolicyContext, 'capacity' | 'onEvict'>) {}

  /** What a hit does to the order: nothing in FIFO. */
  protected hit(_n: Node): void {}

  get used(): number {
    return this.order.bytes;
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  access(key: string, size: number): boolean {
    const held = this.items.get(key);
    if (held) {
      this.hit(held);
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
