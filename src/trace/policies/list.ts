/**
 * A doubly linked list of cached objects, oldest at the head: O(1) append, removal and move-to-back, so
 * recency and admission orders cost the same whatever the cache size. Policies keep their own key -> node map.
 */
export interface Node {
  key: string;
  size: number;
  /** Free for the policy (e.g. a request count). */
  count: number;
  prev: Node | null;
  next: Node | null;
}

export function node(key: string, size: number): Node {
  return { key, size, count: 1, prev: null, next: null };
}

export class DList {
  head: Node | null = null;
  tail: Node | null = null;
  length = 0;
  /** Sum of the sizes of the nodes. */
  bytes = 0;

  push(n: Node): void {
    n.prev = this.tail;
    n.next = null;
    if (this.tail) this.tail.next = n;
    else this.head = n;
    this.tail = n;
    this.length++;
    this.bytes += n.size;
  }

  remove(n: Node): void {
    if (n.prev) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = n.next = null;
    this.length--;
    this.bytes -= n.size;
  }

  /** Removes and returns the oldest node. */
  shift(): Node | null {
    const n = this.head;
    if (n) this.remove(n);
    return n;
  }

  moveToBack(n: Node): void {
    if (this.tail === n) return;
    this.remove(n);
    this.push(n);
  }
}
