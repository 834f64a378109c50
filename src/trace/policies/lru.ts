import type { Node } from './list.js';
import { FifoPolicy } from './fifo.js';

/** Least recently used: evicts the object whose last request is oldest (FIFO where a hit moves to the back). */
export class LruPolicy extends FifoPolicy {
  protected override hit(n: Node): void {
    this.order.moveToBack(n);
  }
}
