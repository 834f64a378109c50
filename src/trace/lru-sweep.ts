import { ImgscanError } from '../errors.js';
import { type LatencyModel, serveMs } from './latency.js';
import { opBlobGet, opInvalidate, opManifestGet, type RequestColumns } from './requests.js';
import { emptyResult, finishResult, type SimResult } from './simulate.js';

/**
 * LRU at every cache size of a sweep, in one pass over the typed columns of the trace (`streamColumns`).
 *
 * Each size is its own LRU cache with exactly the rules of `LruPolicy` (./policies/lru.ts): a held object is a
 * hit whatever the size of the request (it stays at the size it was admitted with); an object larger than the
 * cache is never admitted and evicts nothing; on a miss the least recently used objects are evicted until the
 * object fits; a manifest PUT or DELETE drops the object. The state is in typed arrays indexed by object number
 * (a doubly linked recency list: previous and next object, and the size held, -1 when not held): 16 bytes per
 * object and cache size, and O(1) per request and size (evictions amortized), with no map and no object per
 * request. The tests hold every figure equal to `LruPolicy` replayed by `replay`.
 *
 * Why not one LRU stack for every size (stack distances): with objects of different sizes, the bytes above an
 * object in the stack tell whether it is held only as long as nothing leaves the stack but by eviction. A
 * manifest PUT frees room that the next miss fills without evicting what lies below (so what is held is not
 * the longest prefix of the stack that fits), an object larger than one cache and not another enters one stack
 * and not the other, and a hit keeps the size of the admission, which differs between sizes when the size of an
 * object changes. Per-size arrays reproduce all of it exactly, at a speed bounded by reading the trace.
 */
class ArrayLru {
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  /** Bytes held per object, -1 when not held. */
  private readonly held: Float64Array;
  private head = -1;
  private tail = -1;
  private used = 0;

  constructor(
    objects: number,
    readonly capacity: number,
  ) {
    this.prev = new Int32Array(objects);
    this.next = new Int32Array(objects);
    this.held = new Float64Array(objects).fill(-1);
  }

  private unlink(o: number): void {
    const p = this.prev[o];
    const n = this.next[o];
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  private push(o: number): void {
    this.prev[o] = this.tail;
    this.next[o] = -1;
    if (this.tail >= 0) this.next[this.tail] = o;
    else this.head = o;
    this.tail = o;
  }

  /** A request for object `o` of `size` bytes; true on a hit. */
  access(o: number, size: number): boolean {
    if (this.held[o] >= 0) {
      if (this.tail !== o) {
        this.unlink(o);
        this.push(o);
      }
      return true;
    }
    if (size > this.capacity) return false;
    while (this.used + size > this.capacity) {
      const victim = this.head;
      this.unlink(victim);
      this.used -= this.held[victim];
      this.held[victim] = -1;
    }
    this.push(o);
    this.held[o] = size;
    this.used += size;
    return false;
  }

  remove(o: number): void {
    if (this.held[o] < 0) return;
    this.unlink(o);
    this.used -= this.held[o];
    this.held[o] = -1;
  }
}

export class LruSweep {
  private readonly caches: ArrayLru[];
  private readonly results: SimResult[];
  /** Per request of the batch: seconds to serve it from the backend and from memory. */
  private backendS = new Float64Array(0);
  private memoryS = new Float64Array(0);
  /** Per request of the batch: 1 when it is cacheable and after the warm-up. */
  private counted = new Uint8Array(0);
  private readonly shared = { requests: 0, bytes: 0, backend_latency_s: 0 };

  /** `objects`: how many object numbers there are (`internObjects`); `warmupUntil`: as `ReplayOptions.warmupUntil`. */
  constructor(
    private readonly objects: number,
    capacities: readonly number[],
    private readonly latency: LatencyModel,
    private readonly warmupUntil?: number,
  ) {
    for (const c of capacities) if (!(c >= 0)) throw new ImgscanError('USAGE', `cache size must be a number of bytes >= 0, got ${c}`);
    this.caches = capacities.map((c) => new ArrayLru(objects, c));
    this.results = capacities.map((capacity) => emptyResult({ policy: 'lru', capacity }, null));
  }

  /** Replays a batch through every size (one size at a time over the batch: each size's arrays stay in cache). */
  push(batch: RequestColumns): void {
    const n = batch.length;
    if (this.backendS.length < n) {
      this.backendS = new Float64Array(n);
      this.memoryS = new Float64Array(n);
      this.counted = new Uint8Array(n);
    }
    // What every size counts alike (requests, bytes, backend latency), once, in request order as `Run` adds them.
    const shared = this.shared;
    for (let i = 0; i < n; i++) {
      const o = batch.object[i];
      if (o < 0 || o >= this.objects) throw new ImgscanError('INTERNAL', `object number ${o} outside 0..${this.objects - 1}`);
      const size = batch.size[i];
      this.backendS[i] = serveMs(this.latency, undefined, size) / 1000;
      this.memoryS[i] = serveMs(this.latency, 'memory', size) / 1000;
      const op = batch.op[i];
      const counted = (op === opBlobGet || op === opManifestGet) && (this.warmupUntil === undefined || batch.time[i] >= this.warmupUntil);
      this.counted[i] = counted ? 1 : 0;
      if (!counted) continue;
      shared.requests++;
      shared.bytes += size;
      shared.backend_latency_s += this.backendS[i];
    }
    for (let k = 0; k < this.caches.length; k++) this.replay(this.caches[k], this.results[k], batch);
  }

  /** One size over the batch; its own figures in locals (added in request order, as `Run` adds them). */
  private replay(cache: ArrayLru, res: SimResult, batch: RequestColumns): void {
    const { object, size, op } = batch;
    const { counted, backendS, memoryS } = this;
    let hits = res.hits;
    let hitBytes = res.hit_bytes;
    let latency = res.latency_s;
    for (let i = 0; i < batch.length; i++) {
      const what = op[i];
      if (what === opBlobGet || what === opManifestGet) {
        const hit = cache.access(object[i], size[i]);
        if (counted[i] === 0) continue;
        if (hit) {
          hits++;
          hitBytes += size[i];
          latency += memoryS[i];
        } else {
          latency += backendS[i];
        }
      } else if (what === opInvalidate) {
        cache.remove(object[i]);
      }
    }
    res.hits = hits;
    res.memory_hits = hits;
    res.hit_bytes = hitBytes;
    res.latency_s = latency;
  }

  finish(): SimResult[] {
    return this.results.map((r) => finishResult({ ...r, ...this.shared }));
  }
}
