import { ImgscanError } from '../../errors.js';
import type { Future } from '../future.js';
import { type HeapEntry, NextUseHeap } from './heap.js';
import type { CachePolicy, PolicyContext } from './policy.js';

/**
 * Belady's OPT, offline: evicts the objects whose next request is furthest in the future (MIN, Belady 1966),
 * and admits a missed object only when that pays: when it is requested again before the objects it would evict.
 * It reads the future from `PolicyContext.future` and counts its own requests: the i-th call of `access` is
 * the i-th cacheable request of the trace the future was computed from.
 *
 * With objects of one size this is optimal: no policy, online or offline, gets more hits (with bypass: a miss
 * need not be admitted). With objects of different sizes it is not: it is the furthest-in-future heuristic
 * often called Belady-Size in the caching literature (e.g. Berger et al., SIGMETRICS 2018), which may evict
 * several small objects to keep one large one. It is a feasible schedule, so its hits are a lower bound on
 * the optimum; `pfoo-l` (./../bounds.ts) gives an upper bound.
 *
 * A miss of `size` bytes with next request at `n`: the held objects requested after `n`, furthest first, are
 * evicted until the object fits; if those are not enough, nothing is evicted and the object is not admitted.
 * An object never requested again (before an invalidation) is not admitted, and is dropped at its last hit
 * (reported as an eviction): so every held object has a next request, each at a different position, and the
 * choice of victims never depends on ties. A hit moves the object's next use to its next request. O(log n)
 * per request, memory O(objects held) beside the future.
 */
export class OptPolicy implements CachePolicy {
  private readonly heap = new NextUseHeap();
  private readonly items = new Map<string, HeapEntry>();
  private readonly future: Future;
  private position = 0;
  used = 0;

  constructor(private readonly context: PolicyContext) {
    if (!context.future) throw new ImgscanError('INTERNAL', 'the opt policy needs the future of the trace (PolicyContext.future)');
    this.future = context.future;
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  access(key: string, size: number): boolean {
    const t = this.position++;
    if (t >= this.future.length) throw new ImgscanError('INTERNAL', `opt: request ${t + 1} is beyond the ${this.future.length} the future holds`);
    const following = this.future.next[t];
    const next = following < 0 ? Infinity : following;
    const held = this.items.get(key);
    if (held) {
      if (next === Infinity) {
        this.drop(held);
        this.context.onEvict?.(held.key, held.size);
      } else {
        held.next = next;
        this.heap.update(held);
      }
      return true;
    }
    if (size > this.context.capacity || next === Infinity || !this.makeRoom(size, next)) return false;
    const e: HeapEntry = { key, size, next, index: -1 };
    this.items.set(key, e);
    this.heap.push(e);
    this.used += size;
    return false;
  }

  remove(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return false;
    this.drop(e);
    return true;
  }

  /** Evicts objects requested after `next`, furthest first, until `size` bytes fit; false (and no eviction) if they cannot. */
  private makeRoom(size: number, next: number): boolean {
    const capacity = this.context.capacity;
    if (this.used + size <= capacity) return true;
    const taken: HeapEntry[] = [];
    let freed = 0;
    while (this.used - freed + size > capacity) {
      const top = this.heap.peek();
      if (!top || top.next <= next) break;
      this.heap.pop();
      taken.push(top);
      freed += top.size;
    }
    if (this.used - freed + size > capacity) {
      for (const e of taken) this.heap.push(e);
      return false;
    }
    for (const e of taken) {
      this.items.delete(e.key);
      this.used -= e.size;
      this.context.onEvict?.(e.key, e.size);
    }
    return true;
  }

  private drop(e: HeapEntry): void {
    this.heap.remove(e);
    this.items.delete(e.key);
    this.used -= e.size;
  }
}
