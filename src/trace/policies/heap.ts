/**
 * A binary max-heap of cached objects by the position of their next request, with each entry's index kept
 * in the entry so that a changed priority or a removal costs O(log n).
 */
export interface HeapEntry {
  key: string;
  size: number;
  /** Position of the next request (Infinity when none). */
  next: number;
  /** Index in the heap; -1 when not in it. */
  index: number;
}

export class NextUseHeap {
  private readonly items: HeapEntry[] = [];

  get length(): number {
    return this.items.length;
  }

  /** The entry requested furthest in the future. */
  peek(): HeapEntry | undefined {
    return this.items[0];
  }

  push(e: HeapEntry): void {
    e.index = this.items.length;
    this.items.push(e);
    this.up(e.index);
  }

  /** Restores the order after `e.next` changed. */
  update(e: HeapEntry): void {
    this.up(e.index);
    this.down(e.index);
  }

  remove(e: HeapEntry): void {
    const i = e.index;
    const last = this.items.pop()!;
    e.index = -1;
    if (last === e) return;
    this.items[i] = last;
    last.index = i;
    this.update(last);
  }

  pop(): HeapEntry | undefined {
    const top = this.items[0];
    if (top) this.remove(top);
    return top;
  }

  private up(i: number): void {
    const items = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent].next >= items[i].next) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const items = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < items.length && items[l].next > items[top].next) top = l;
      if (r < items.length && items[r].next > items[top].next) top = r;
      if (top === i) return;
      this.swap(i, top);
      i = top;
    }
  }

  private swap(a: number, b: number): void {
    const items = this.items;
    const t = items[a];
    items[a] = items[b];
    items[b] = t;
    items[a].index = a;
    items[b].index = b;
  }
}
