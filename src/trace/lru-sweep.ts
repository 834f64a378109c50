import { ImgscanError } from '../errors.js';
import { ArrayLru, type PreparedBatch, replaySize, type SizeFigures } from './lru-array.js';
import { type LatencyModel, serveMs } from './latency.js';
import { opBlobGet, opManifestGet, type RequestColumns } from './requests.js';
import { emptyResult, finishResult, type SimResult } from './simulate.js';

/**
 * LRU at every cache size of a sweep, in one pass over the typed columns of the trace (`streamColumns`).
 *
 * Each size is its own LRU cache (`ArrayLru`, ./lru-array.ts) with exactly the rules of `LruPolicy`, its state
 * in typed arrays indexed by object number: 16 bytes per object and cache size, O(1) per request and size. The
 * tests hold every figure equal to `LruPolicy` replayed by `replay`. `ThreadedLruSweep` (./lru-threads.ts) is the
 * same sweep with half the sizes on a worker thread.
 *
 * Why not one LRU stack for every size (stack distances): with objects of different sizes, the bytes above an
 * object in the stack tell whether it is held only as long as nothing leaves the stack but by eviction. A
 * manifest PUT frees room that the next miss fills without evicting what lies below (so what is held is not
 * the longest prefix of the stack that fits), an object larger than one cache and not another enters one stack
 * and not the other, and a hit keeps the size of the admission, which differs between sizes when the size of an
 * object changes. Per-size arrays reproduce all of it exactly, at a speed bounded by reading the trace.
 */
export class LruSweep implements PrepareContext {
  readonly shared: SharedFigures = { requests: 0, bytes: 0, backend_latency_s: 0 };
  private readonly caches: ArrayLru[];
  private readonly figures: SizeFigures[];
  private readonly prepared: PreparedBatch = preparedBatch(0);

  /** `objects`: how many object numbers there are (`internObjects`); `warmupUntil`: as `ReplayOptions.warmupUntil`. */
  constructor(
    readonly objects: number,
    private readonly capacities: readonly number[],
    readonly latency: LatencyModel,
    readonly warmupUntil?: number,
  ) {
    checkCapacities(capacities);
    this.caches = capacities.map((c) => new ArrayLru(objects, c));
    this.figures = capacities.map(() => ({ hits: 0, hit_bytes: 0, latency_s: 0 }));
  }

  /** Replays a batch through every size (one size at a time over the batch: each size's arrays stay in cache). */
  push(batch: RequestColumns): void {
    if (this.prepared.object.length < batch.length) Object.assign(this.prepared, preparedBatch(batch.length));
    prepareBatch(batch, this.prepared, this);
    for (let k = 0; k < this.caches.length; k++) replaySize(this.caches[k], this.figures[k], this.prepared);
  }

  finish(): SimResult[] {
    return sweepResults(this.capacities, this.figures, this.shared);
  }
}

/** What every size counts alike: cacheable requests after the warm-up, their bytes and their backend latency. */
export interface SharedFigures {
  requests: number;
  bytes: number;
  backend_latency_s: number;
}

/** What `prepareBatch` reads besides the batch. */
export interface PrepareContext {
  readonly objects: number;
  readonly latency: LatencyModel;
  readonly warmupUntil?: number;
  readonly shared: SharedFigures;
}

export function checkCapacities(capacities: readonly number[]): void {
  for (const c of capacities) if (!(c >= 0)) throw new ImgscanError('USAGE', `cache size must be a number of bytes >= 0, got ${c}`);
}

/** A prepared batch of room for `rows` requests, in `buffer`'s memory when given (shared with a worker), else its own. */
export function preparedBatch(rows: number, buffer?: ArrayBufferLike): PreparedBatch {
  const memory = buffer ?? new ArrayBuffer(preparedBytes(rows));
  let at = 0;
  const take = <T>(make: (b: ArrayBufferLike, offset: number, length: number) => T, bytes: number): T => {
    const view = make(memory, at, rows);
    at += rows * bytes;
    return view;
  };
  const backendS = take((b, o, n) => new Float64Array(b, o, n), 8);
  const memoryS = take((b, o, n) => new Float64Array(b, o, n), 8);
  const size = take((b, o, n) => new Float64Array(b, o, n), 8);
  const object = take((b, o, n) => new Int32Array(b, o, n), 4);
  const op = take((b, o, n) => new Uint8Array(b, o, n), 1);
  const counted = take((b, o, n) => new Uint8Array(b, o, n), 1);
  return { length: 0, object, size, op, counted, backendS, memoryS };
}

/** Bytes of a prepared batch of `rows` requests. */
export function preparedBytes(rows: number): number {
  return rows * (8 + 8 + 8 + 4 + 1 + 1);
}

/**
 * Copies a batch into `into` with what every size counts alike, computed once, and adds those shared figures in
 * request order (as `Run` adds them).
 */
export function prepareBatch(batch: RequestColumns, into: PreparedBatch, c: PrepareContext): void {
  const n = batch.length;
  const { backendS, memoryS, counted } = into;
  const shared = c.shared;
  for (let i = 0; i < n; i++) {
    const o = batch.object[i];
    if (o < 0 || o >= c.objects) throw new ImgscanError('INTERNAL', `object number ${o} outside 0..${c.objects - 1}`);
    const size = batch.size[i];
    backendS[i] = serveMs(c.latency, undefined, size) / 1000;
    memoryS[i] = serveMs(c.latency, 'memory', size) / 1000;
    const op = batch.op[i];
    const isCounted = (op === opBlobGet || op === opManifestGet) && (c.warmupUntil === undefined || batch.time[i] >= c.warmupUntil);
    counted[i] = isCounted ? 1 : 0;
    if (!isCounted) continue;
    shared.requests++;
    shared.bytes += size;
    shared.backend_latency_s += backendS[i];
  }
  into.object.set(batch.object.subarray(0, n));
  into.size.set(batch.size.subarray(0, n));
  into.op.set(batch.op.subarray(0, n));
  into.length = n;
}

/** The results of a sweep: each size's own figures with the shared ones. */
export function sweepResults(capacities: readonly number[], figures: readonly SizeFigures[], shared: SharedFigures): SimResult[] {
  return capacities.map((capacity, k) => {
    const f = figures[k];
    const res = emptyResult({ policy: 'lru', capacity }, null);
    return finishResult({ ...res, ...shared, hits: f.hits, memory_hits: f.hits, hit_bytes: f.hit_bytes, latency_s: f.latency_s });
  });
}
