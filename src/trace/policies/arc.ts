import type { CachePolicy, PolicyContext } from './policy.js';

/**
 * Adaptive Replacement Cache (Megiddo and Modha, FAST 2003), measured in bytes. T1 holds objects requested
 * once recently, T2 objects requested at least twice; the ghost lists B1 and B2 remember keys recently evicted
 * from each. A request that hits a ghost moves the target size `p` of T1 towards the list that would have hit.
 * With every object of size 1 this is the published algorithm exactly.
 */
export class ArcPolicy implements CachePolicy {
  private readonly t1 = new Map<string, number>();
  private readonly t2 = new Map<string, number>();
  private readonly b1 = new Map<string, number>();
  private readonly b2 = new Map<string, number>();
  private t1b = 0;
  private t2b = 0;
  private b1b = 0;
  private b2b = 0;
  /** Target bytes of T1. */
  private p = 0;
  private readonly c: number;

  constructor(private readonly context: PolicyContext) {
    this.c = context.capacity;
  }

  get used(): number {
    return this.t1b + this.t2b;
  }

  /** The adaptation target, for tests and reports. */
  get target(): number {
    return this.p;
  }

  has(key: string): boolean {
    return this.t1.has(key) || this.t2.has(key);
  }

  access(x: string, s: number): boolean {
    const inT1 = this.t1.get(x);
    if (inT1 !== undefined) {
      this.t1.delete(x);
      this.t1b -= inT1;
      this.t2.set(x, inT1);
      this.t2b += inT1;
      return true;
    }
    const inT2 = this.t2.get(x);
    if (inT2 !== undefined) {
      this.t2.delete(x);
      this.t2.set(x, inT2);
      return true;
    }
    if (s > this.c) return false;
    const g1 = this.b1.get(x);
    const g2 = this.b2.get(x);
    if (g1 !== undefined) {
      this.p = Math.min(this.c, this.p + Math.max(this.b1b > 0 ? this.b2b / this.b1b : 1, 1) * s);
      this.replace(s, false);
      this.b1.delete(x);
      this.b1b -= g1;
      this.t2.set(x, s);
      this.t2b += s;
    } else if (g2 !== undefined) {
      this.p = Math.max(0, this.p - Math.max(this.b2b > 0 ? this.b1b / this.b2b : 1, 1) * s);
      this.replace(s, true);
      this.b2.delete(x);
      this.b2b -= g2;
      this.t2.set(x, s);
      this.t2b += s;
    } else {
      if (this.t1b + this.b1b + s > this.c) {
        while (this.t1b + this.b1b + s > this.c && this.b1.size) this.b1b -= dropOldest(this.b1);
        while (this.t1b + this.b1b + s > this.c && this.t1.size) this.evict(this.t1, undefined);
      } else {
        while (this.t1b + this.t2b + this.b1b + this.b2b + s > 2 * this.c && this.b2.size) this.b2b -= dropOldest(this.b2);
      }
      this.replace(s, false);
      this.t1.set(x, s);
      this.t1b += s;
    }
    while (this.t1b + this.b1b > this.c && this.b1.size) this.b1b -= dropOldest(this.b1);
    while (this.t1b + this.t2b + this.b1b + this.b2b > 2 * this.c && this.b2.size) this.b2b -= dropOldest(this.b2);
    return false;
  }

  remove(key: string): boolean {
    for (const [list, ghost] of [
      [this.t1, false],
      [this.t2, false],
      [this.b1, true],
      [this.b2, true],
    ] as const) {
      const s = list.get(key);
      if (s === undefined) continue;
      list.delete(key);
      if (list === this.t1) this.t1b -= s;
      else if (list === this.t2) this.t2b -= s;
      else if (list === this.b1) this.b1b -= s;
      else this.b2b -= s;
      if (!ghost) return true;
    }
    return false;
  }

  /** Makes room for `s` bytes, moving least recently used objects of T1 or T2 to their ghost lists. */
  private replace(s: number, xInB2: boolean): void {
    while (this.t1b + this.t2b + s > this.c) {
      if (this.t1.size && ((xInB2 && this.t1b === this.p) || this.t1b > this.p || !this.t2.size)) this.evict(this.t1, this.b1);
      else if (this.t2.size) this.evict(this.t2, this.b2);
      else break;
    }
  }

  private evict(from: Map<string, number>, ghost: Map<string, number> | undefined): void {
    const [key, size] = from.entries().next().value as [string, number];
    from.delete(key);
    if (from === this.t1) this.t1b -= size;
    else this.t2b -= size;
    if (ghost === this.b1) {
      this.b1.set(key, size);
      this.b1b += size;
    } else if (ghost === this.b2) {
      this.b2.set(key, size);
      this.b2b += size;
    }
    this.context.onEvict?.(key, size);
  }
}

function dropOldest(list: Map<string, number>): number {
  const [key, size] = list.entries().next().value as [string, number];
  list.delete(key);
  return size;
}
