import { opBlobGet, opInvalidate, opManifestGet } from './requests.js';

/**
 * One LRU cache of a sweep (`LruSweep`), with exactly the rules of `LruPolicy` (./policies/lru.ts): a held
 * object is a hit whatever the size of the request (it stays at the size it was admitted with); an object
 * larger than the cache is never admitted and evicts nothing; on a miss the least recently used objects are
 * evicted until the object fits; a manifest PUT or DELETE drops the object. The state is in typed arrays indexed
 * by object number (a doubly linked recency list: previous and next object, and the size held, -1 when not
 * held): 16 bytes per object, and O(1) per request (evictions amortized), with no map and no object per request.
 */
export class ArrayLru {
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

/** What one cache size counts on its own (the rest of its figures every size counts alike). */
export interface SizeFigures {
  hits: number;
  hit_bytes: number;
  latency_s: number;
}

/**
 * A batch of requests ready for the caches: the columns of `RequestColumns` the caches read, and per request
 * what every size counts alike, computed once (`prepareBatch`).
 */
export interface PreparedBatch {
  length: number;
  object: Int32Array;
  size: Float64Array;
  op: Uint8Array;
  /** 1 when the request is cacheable and after the warm-up. */
  counted: Uint8Array;
  /** Seconds to serve it from the backend and from memory. */
  backendS: Float64Array;
  memoryS: Float64Array;
}

/** Replays a batch through one cache size, adding to its figures in request order (as `Run` adds them). */
export function replaySize(cache: ArrayLru, figures: SizeFigures, batch: PreparedBatch): void {
  const { object, size, op, counted, backendS, memoryS } = batch;
  let hits = figures.hits;
  let hitBytes = figures.hit_bytes;
  let latency = figures.latency_s;
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
  figures.hits = hits;
  figures.hit_bytes = hitBytes;
  figures.latency_s = latency;
}
