import { DList, type Node, node } from './list.js';
import type { CachePolicy, PolicyContext } from './policy.js';

/**
 * Adaptive Replacement Cache (Megiddo and Modha, FAST 2003), measured in bytes. T1 holds objects requested
 * once recently, T2 objects requested at least twice; the ghost lists B1 and B2 remember keys recently evicted
 * from each. A request that hits a ghost moves the target size `p` of T1 towards the list that would have hit.
 * With every object of size 1 this is the published algorithm exactly.
 */
export class ArcPolicy implements CachePolicy {
  private readonly t1 = new DList();
  private readonly t2 = new DList();
  private readonly b1 = new DList();
  private readonly b2 = new DList();
  /** key -> node, and the list the node is in. */
  private readonly where = new Map<string, { node: Node; list: DList }>();
  /** Target bytes of T1. */
  private p = 0;
  private readonly c: number;

  constructor(private readonly context: PolicyContext) {
    this.c = context.capacity;
  }

  get used(): number {
    return this.t1.bytes + this.t2.bytes;
  }

  /** The adaptation target, for tests and reports. */
  get target(): number {
    return this.p;
  }

  has(key: string): boolean {
    const w = this.where.get(key);
    return w !== undefined && (w.list === this.t1 || w.list === this.t2);
  }

  access(x: string, s: number): boolean {
    const w = this.where.get(x);
    if (w && (w.list === this.t1 || w.list === this.t2)) {
      this.move(w, this.t2);
      return true;
    }
    if (s > this.c) return false;
    const { t1, t2, b1, b2, c } = this;
    if (w && w.list === b1) {
      this.p = Math.min(c, this.p + Math.max(b1.bytes > 0 ? b2.bytes / b1.bytes : 1, 1) * s);
      this.replace(s, false);
      this.admitFromGhost(w, s);
    } else if (w && w.list === b2) {
      this.p = Math.max(0, this.p - Math.max(b2.bytes > 0 ? b1.bytes / b2.bytes : 1, 1) * s);
      this.replace(s, true);
      this.admitFromGhost(w, s);
    } else {
      if (t1.bytes + b1.bytes + s > c) {
        while (t1.bytes + b1.bytes + s > c && b1.length) this.forget(b1);
        while (t1.bytes + b1.bytes + s > c && t1.length) this.evict(t1, undefined);
      } else {
        while (t1.bytes + t2.bytes + b1.bytes + b2.bytes + s > 2 * c && b2.length) this.forget(b2);
      }
      this.replace(s, false);
      const n = node(x, s);
      t1.push(n);
      this.where.set(x, { node: n, list: t1 });
    }
    while (t1.bytes + b1.bytes > c && b1.length) this.forget(b1);
    while (t1.bytes + t2.bytes + b1.bytes + b2.bytes > 2 * c && b2.length) this.forget(b2);
    return false;
  }

  remove(key: string): boolean {
    const w = this.where.get(key);
    if (!w) return false;
    w.list.remove(w.node);
    this.where.delete(key);
    return w.list === this.t1 || w.list === this.t2;
  }

  /** Makes room for `s` bytes, moving least recently used objects of T1 or T2 to their ghost lists. */
  private replace(s: number, xInB2: boolean): void {
    const { t1, t2 } = this;
    while (t1.bytes + t2.bytes + s > this.c) {
      if (t1.length && ((xInB2 && t1.bytes === this.p) || t1.bytes > this.p || !t2.length)) this.evict(t1, this.b1);
      else if (t2.length) this.evict(t2, this.b2);
      else break;
    }
  }

  /** A ghost hit: the object comes back, most recently used in T2, with its current size. */
  private admitFromGhost(w: { node: Node; list: DList }, s: number): void {
    w.list.remove(w.node);
    w.node.size = s;
    w.list = this.t2;
    this.t2.push(w.node);
  }

  private move(w: { node: Node; list: DList }, to: DList): void {
    if (w.list === to) {
      to.moveToBack(w.node);
      return;
    }
    w.list.remove(w.node);
    to.push(w.node);
    w.list = to;
  }

  /** Evicts the least recently used object of T1 or T2, remembering its key in a ghost list if given. */
  private evict(from: DList, ghost: DList | undefined): void {
    const n = from.shift()!;
    if (ghost) {
      ghost.push(n);
      this.where.get(n.key)!.list = ghost;
    } else {
      this.where.delete(n.key);
    }
    this.context.onEvict?.(n.key, n.size);
  }

  /** Drops the oldest key of a ghost list. */
  private forget(ghost: DList): void {
    this.where.delete(ghost.shift()!.key);
  }
}
