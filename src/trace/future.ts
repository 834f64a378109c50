import { ImgscanError } from '../errors.js';
import { isCacheable, isInvalidation, opBlobGet, opInvalidate, opManifestGet, type RequestColumns, type SimRequest } from './requests.js';

/**
 * The future of a trace, for the offline bounds (`opt`, `pfoo-l`): a first pass over the requests that the
 * replay will see, in the same order, recording for each cacheable request the position of the next request
 * of the same object. Positions count cacheable requests only (0, 1, 2, ...): the cache's clock.
 *
 * A successful manifest PUT or DELETE invalidates the object: the cached copy is dropped, so a request before
 * the invalidation has no next use through it (the request after it must miss whatever the cache did).
 *
 * Memory is bounded by the number of cacheable requests, in typed arrays: 4 bytes for the next use (an Int32Array,
 * -1 for none) and 8 for the size (a Float64Array) per request, and while the pass runs a map from each distinct
 * object to its last position. At most 2^31 - 1 requests.
 */
export interface Future {
  /** Cacheable requests. */
  readonly length: number;
  /** For each cacheable request, the position of the next request of the same object, or -1. */
  readonly next: Int32Array;
  /** For each cacheable request, its response size in bytes. */
  readonly size: Float64Array;
}

export const noNextUse = -1;
const maxRequests = 0x7fffffff;

/** Builds a `Future` from the requests in replay order; `add` each, then `finish`. */
export class FutureBuilder {
  private next: Int32Array;
  private size: Float64Array;
  private length = 0;
  private readonly last = new Map<string, number>();
  private lastByObject: Int32Array | undefined;

  /** `expected`: the number of requests if known (cacheable or not), to allocate once. */
  constructor(expected = 1024) {
    const n = Math.min(Math.max(16, expected), maxRequests);
    this.next = new Int32Array(n);
    this.size = new Float64Array(n);
  }

  add(r: SimRequest): void {
    if (isCacheable(r)) {
      const t = this.length++;
      if (t >= maxRequests) throw new ImgscanError('USAGE', `the offline bounds take at most ${maxRequests} cacheable requests`);
      if (t >= this.next.length) this.grow();
      this.next[t] = noNextUse;
      this.size[t] = r.size;
      const previous = this.last.get(r.key);
      if (previous !== undefined) this.next[previous] = t;
      this.last.set(r.key, t);
    } else if (isInvalidation(r)) {
      this.last.delete(r.key);
    }
  }

  /**
   * Adds a batch of typed columns (`streamColumns`); `objects` is how many object numbers there are. The last
   * position of each object is then an array indexed by object: 4 bytes per object, no map.
   */
  addColumns(batch: RequestColumns, objects: number): void {
    const last = (this.lastByObject ??= new Int32Array(objects).fill(noNextUse));
    for (let i = 0; i < batch.length; i++) {
      const op = batch.op[i];
      const o = batch.object[i];
      if (op === opBlobGet || op === opManifestGet) {
        const t = this.length++;
        if (t >= maxRequests) throw new ImgscanError('USAGE', `the offline bounds take at most ${maxRequests} cacheable requests`);
        if (t >= this.next.length) this.grow();
        this.next[t] = noNextUse;
        this.size[t] = batch.size[i];
        if (last[o] !== noNextUse) this.next[last[o]] = t;
        last[o] = t;
      } else if (op === opInvalidate) {
        last[o] = noNextUse;
      }
    }
  }

  finish(): Future {
    this.lastByObject = undefined;
    this.last.clear();
    return { length: this.length, next: this.next.subarray(0, this.length), size: this.size.subarray(0, this.length) };
  }

  private grow(): void {
    const n = Math.min(this.next.length * 2, maxRequests);
    const next = new Int32Array(n);
    next.set(this.next);
    const size = new Float64Array(n);
    size.set(this.size);
    this.next = next;
    this.size = size;
  }
}

/** The future of requests given in batches, as `replay` takes them. */
export async function readFuture(batches: AsyncIterable<readonly SimRequest[]> | Iterable<readonly SimRequest[]>, expected?: number): Promise<Future> {
  const builder = new FutureBuilder(expected);
  for await (const batch of batches) for (const r of batch) builder.add(r);
  return builder.finish();
}
