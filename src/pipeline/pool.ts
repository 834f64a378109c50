import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { ImgscanError, withContext } from '../errors.js';
import { readFailure, scanLayer } from '../layers/scan-layer.js';
import { distModule } from '../paths.js';
import type { Layer } from '../sources/types.js';
import type { LayerRow } from '../model/rows.js';
import type { ByteSource, FromWorker, ToWorker } from './messages.js';
import type { LayerJob, LayerSink } from '../layers/job.js';
import { decodeChunks, decodeFiles } from './row-codec.js';

interface Pending {
  sink: LayerSink;
  resolve(layer: LayerRow): void;
  reject(err: ImgscanError): void;
  wake?: () => void;
}

interface Slot {
  worker: Worker;
  jobs: Set<number>;
}

/**
 * The young generation of a worker's heap, in MB. A scan allocates short-lived objects at a high rate (rows,
 * digests, slices) and few survive, yet V8 grows the young generation towards its default maximum (semi-spaces
 * of 16 MiB): a worker then held some 30 MiB more RSS (measured with three chunkers). Scavenges of a smaller
 * one cost no more, the survivors being few.
 */
const workerYoungGenerationMb = 12;

/** Compressed bytes of a layer sent to its worker and not yet consumed (more buys no speed, only memory). */
const maxUnackedBytes = 4 << 20;

/**
 * Scans layers on worker threads (one scanner per job; jobs spread over the least busy worker). With zero
 * workers, layers are scanned on the calling thread.
 */
export class LayerPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;

  constructor(readonly workers: number) {
    for (let i = 0; i < workers; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(distModule('pipeline/worker.js'), { resourceLimits: { maxYoungGenerationSizeMb: workerYoungGenerationMb } });
    const slot: Slot = { worker, jobs: new Set() };
    worker.on('message', (msg: FromWorker) => this.onMessage(slot, msg));
    worker.on('error', (err) => this.onCrash(slot, err));
    worker.on('exit', (code) => {
      if (code !== 0) this.onCrash(slot, new ImgscanError('INTERNAL', `worker exited with code ${code}`));
    });
    return slot;
  }

  private onCrash(slot: Slot, err: Error): void {
    if (this.closing) return;
    for (const id of slot.jobs) this.finish(id)?.reject(new ImgscanError('INTERNAL', `layer worker failed: ${err.message}`));
    slot.jobs.clear();
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots[i] = this.spawn();
  }

  private finish(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    for (const s of this.slots) s.jobs.delete(id);
    p?.wake?.();
    return p;
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    switch (msg.type) {
      case 'files':
      case 'chunks':
        try {
          if (msg.type === 'files') p.sink.files(decodeFiles(msg.batch));
          else p.sink.chunks?.(decodeChunks(msg.batch));
        } catch (err) {
          // The rows could not be taken (the store failed): the layer fails with that error, the worker drops it.
          slot.worker.postMessage({ type: 'abort', id: msg.id } satisfies ToWorker);
          this.finish(msg.id)?.reject(withContext(err, {}));
        }
        break;
      case 'done':
        this.finish(msg.id)?.resolve(msg.layer);
        break;
      case 'error': {
        const err = new ImgscanError(msg.error.code, msg.error.message, msg.error.context);
        slot.worker.postMessage({ type: 'abort', id: msg.id } satisfies ToWorker);
        this.finish(msg.id)?.reject(err);
        break;
      }
    }
  }

  /**
   * Scans one layer. Rejects with the scanner's typed error. A blob in a local file is read by the worker
   * itself, every step of the layer on one thread; other blobs are read here and their chunks posted to it.
   */
  async scan(job: LayerJob, layer: Layer, sink: LayerSink): Promise<LayerRow> {
    if (this.slots.length === 0) return scanInline(job, await layer.open(), sink);
    const file = layer.locate?.();
    const input = file ? undefined : await layer.open();
    const from: ByteSource = file ? { kind: 'file', file } : { kind: 'posted' };
    const { id, slot, taken, done } = this.begin(job, from, sink);
    // The worker counts what it has scanned in `taken`: that count drives progress.
    let reported = 0;
    const report = () => {
      const scanned = Number(Atomics.load(taken, 0));
      if (scanned > reported) sink.bytes?.(scanned - reported);
      reported = Math.max(reported, scanned);
    };
    const timer = setInterval(report, 200);
    try {
      if (input) await this.postChunks(id, slot, input, taken, job.layerDigest);
      return await done;
    } finally {
      clearInterval(timer);
      report();
    }
  }

  /** Starts a job on the least busy worker; `done` settles with its answer (already handled if unawaited). */
  private begin(job: LayerJob, from: ByteSource, sink: LayerSink): { id: number; slot: Slot; taken: BigInt64Array; done: Promise<LayerRow> } {
    const slot = this.slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    const id = this.nextId++;
    const done = new Promise<LayerRow>((resolve, reject) => this.pending.set(id, { sink, resolve, reject }));
    // The worker may fail the layer while its blob is still read here: the rejection is returned then.
    done.catch(() => undefined);
    slot.jobs.add(id);
    const taken = new BigInt64Array(new SharedArrayBuffer(8));
    slot.worker.postMessage({ type: 'scan', id, job, from, taken } satisfies ToWorker);
    return { id, slot, taken, done };
  }

  /**
   * Posts a streamed blob to the worker chunk by chunk, each buffer handed over. Bytes posted minus bytes the
   * worker has scanned (the shared counter, no message per chunk) stay bounded.
   */
  private async postChunks(id: number, slot: Slot, input: Readable, taken: BigInt64Array, layerDigest: string): Promise<void> {
    const p = this.pending.get(id)!;
    const send = (m: ToWorker, transfer?: ArrayBuffer[]) => slot.worker.postMessage(m, transfer);
    let sent = 0;
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        if (!this.pending.has(id)) break;
        const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : Uint8Array.prototype.slice.call(chunk);
        sent += own.byteLength;
        send({ type: 'chunk', id, data: own }, [own.buffer as ArrayBuffer]);
        for (;;) {
          const scanned = Atomics.load(taken, 0);
          if (sent - Number(scanned) <= maxUnackedBytes || !this.pending.has(id)) break;
          const wait = Atomics.waitAsync(taken, 0, scanned, 1000);
          if (wait.async) await Promise.race([wait.value, new Promise<void>((r) => (p.wake = r))]);
        }
      }
      if (this.pending.has(id)) send({ type: 'end', id });
    } catch (err) {
      if (this.pending.has(id)) {
        send({ type: 'abort', id });
        this.finish(id)?.reject(readFailure(err, layerDigest));
      }
    } finally {
      if (!this.pending.has(id)) input.destroy();
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}

/** With no workers: the stream scanned on the calling thread, by the same scan path as in a worker. */
async function scanInline(job: LayerJob, input: Readable, sink: LayerSink): Promise<LayerRow> {
  try {
    return await scanLayer(input, job, sink);
  } finally {
    input.destroy();
  }
}
