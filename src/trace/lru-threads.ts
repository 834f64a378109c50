import { Worker } from 'node:worker_threads';
import { ImgscanError } from '../errors.js';
import { distModule } from '../paths.js';
import { ArrayLru, type PreparedBatch, replaySize, type SizeFigures } from './lru-array.js';
import { checkCapacities, type PrepareContext, prepareBatch, preparedBatch, preparedBytes, type SharedFigures, sweepResults } from './lru-sweep.js';
import type { LatencyModel } from './latency.js';
import type { RequestColumns } from './requests.js';
import type { SimResult } from './simulate.js';

/** What the worker is started with: its sizes and the slots' shared memory. */
export interface LruWorkerData {
  objects: number;
  capacities: number[];
  /** Rows each slot holds. */
  rows: number;
  slots: SharedArrayBuffer[];
}

export type ToLruWorker = { type: 'batch'; slot: number; length: number } | { type: 'finish' };
export type FromLruWorker = { type: 'done'; slot: number } | { type: 'figures'; figures: SizeFigures[] };

/** Batches in flight: the main thread prepares the next ones while the worker replays the earlier ones. */
const slotCount = 3;

/**
 * `LruSweep` with the cache sizes split between this thread and a worker thread: each batch is prepared once
 * into shared memory (a ring of slots), the worker replays its sizes over it while this thread replays the
 * others and then reads the next batch. Each size sees the same requests in the same order as in `LruSweep`,
 * so every figure is the same, bit for bit. `close` stops the worker when the sweep is abandoned.
 */
export class ThreadedLruSweep implements PrepareContext {
  readonly shared: SharedFigures = { requests: 0, bytes: 0, backend_latency_s: 0 };
  private readonly local: ArrayLru[];
  private readonly localFigures: SizeFigures[];
  private readonly remote: number[];
  private readonly slots: PreparedBatch[];
  /** Per slot: resolves when the worker has handed it back. */
  private readonly busy: (Promise<void> | undefined)[] = [];
  private readonly waiting = new Map<number, () => void>();
  private figures: ((f: SizeFigures[]) => void) | undefined;
  /** The worker has sent its figures (it exits then). */
  private finished = false;
  private failure: ImgscanError | undefined;
  /** The rejects of the promises not settled yet. */
  private readonly pending = new Set<(err: ImgscanError) => void>();
  private readonly worker: Worker;
  private next = 0;

  /** As `LruSweep`; `rows`: the most requests a slot holds (larger batches are replayed in parts). */
  constructor(
    readonly objects: number,
    private readonly capacities: readonly number[],
    readonly latency: LatencyModel,
    readonly warmupUntil?: number,
    private readonly rows = 1 << 16,
  ) {
    checkCapacities(capacities);
    // Alternate sizes to each side: small caches evict more and cost more per request than large ones.
    const mine = capacities.filter((_, k) => k % 2 === 0);
    this.remote = capacities.map((_, k) => k).filter((k) => k % 2 === 1);
    this.local = mine.map((c) => new ArrayLru(objects, c));
    this.localFigures = mine.map(() => ({ hits: 0, hit_bytes: 0, latency_s: 0 }));
    const buffers = Array.from({ length: slotCount }, () => new SharedArrayBuffer(preparedBytes(rows)));
    this.slots = buffers.map((b) => preparedBatch(rows, b));
    const data: LruWorkerData = { objects, capacities: this.remote.map((k) => capacities[k]), rows, slots: buffers };
    this.worker = new Worker(distModule('trace/lru-worker.js'), { workerData: data });
    this.worker.on('message', (msg: FromLruWorker) => this.onMessage(msg));
    this.worker.on('error', (err) => this.fail(new ImgscanError('INTERNAL', `LRU worker failed: ${err.message}`, {}, { cause: err })));
    this.worker.on('exit', (code) => {
      if (!this.finished) this.fail(new ImgscanError('INTERNAL', `LRU worker exited with code ${code} before its results`));
    });
  }

  private onMessage(msg: FromLruWorker): void {
    if (msg.type === 'done') {
      this.waiting.get(msg.slot)?.();
      this.waiting.delete(msg.slot);
    } else {
      this.finished = true;
      this.figures?.(msg.figures);
      this.figures = undefined;
    }
  }

  private fail(err: ImgscanError): void {
    this.failure ??= err;
    for (const reject of this.pending) reject(this.failure);
    this.pending.clear();
  }

  /**
   * A promise settled by `start`'s resolve, or rejected by the worker's failure. Marked handled: a slot's
   * promise may fail before anything awaits it (the rejection still reaches whoever awaits it later).
   */
  private guarded<T>(start: (resolve: (v: T) => void) => void): Promise<T> {
    const p = new Promise<T>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.pending.add(reject);
      start((v) => {
        this.pending.delete(reject);
        resolve(v);
      });
    });
    p.catch(() => undefined);
    return p;
  }

  /** Replays a batch: into the next free slot, then the worker's sizes there and this thread's here. */
  async push(batch: RequestColumns): Promise<void> {
    for (let at = 0; at < batch.length; at += this.rows) {
      const part = at === 0 && batch.length <= this.rows ? batch : slice(batch, at, Math.min(batch.length, at + this.rows));
      const k = this.next;
      this.next = (k + 1) % slotCount;
      await this.busy[k];
      const slot = this.slots[k];
      prepareBatch(part, slot, this);
      this.busy[k] = this.guarded<void>((resolve) => this.waiting.set(k, resolve));
      this.worker.postMessage({ type: 'batch', slot: k, length: slot.length } satisfies ToLruWorker);
      for (let j = 0; j < this.local.length; j++) replaySize(this.local[j], this.localFigures[j], slot);
    }
  }

  async finish(): Promise<SimResult[]> {
    await Promise.all(this.busy);
    const remote = await this.guarded<SizeFigures[]>((resolve) => {
      this.figures = resolve;
      this.worker.postMessage({ type: 'finish' } satisfies ToLruWorker);
    });
    const figures: SizeFigures[] = [];
    this.capacities.forEach((_, k) => figures.push(k % 2 === 0 ? this.localFigures[k >> 1] : remote[this.remote.indexOf(k)]));
    return sweepResults(this.capacities, figures, this.shared);
  }

  /** Stops the worker (after `finish`, it has stopped already). */
  async close(): Promise<void> {
    this.finished = true;
    await this.worker.terminate();
  }
}

function slice(batch: RequestColumns, from: number, to: number): RequestColumns {
  return { length: to - from, time: batch.time.subarray(from, to), object: batch.object.subarray(from, to), size: batch.size.subarray(from, to), op: batch.op.subarray(from, to) };
}
