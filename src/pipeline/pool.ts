import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { ImgscanError, withContext } from '../errors.js';
import { BlobVerifier } from '../layers/blob-verifier.js';
import { LayerScanner } from '../layers/scan-layer.js';
import { distModule } from '../paths.js';
import type { BlobFile, Layer } from '../sources/types.js';
import type { LayerRow } from '../model/rows.js';
import type { FromWorker, ToWorker } from './messages.js';
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
    const worker = new Worker(distModule('pipeline/worker.js'));
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
   * itself, every step of the layer on one thread; other blobs are streamed to it from here.
   */
  async scan(job: LayerJob, layer: Layer, sink: LayerSink): Promise<LayerRow> {
    if (this.slots.length === 0) return scanInline(job, await layer.open(), sink);
    const file = layer.locate?.();
    return file ? this.scanFile(job, file, sink) : this.scanStream(job, await layer.open(), sink);
  }

  /** A job on the least busy worker; `done` settles with the worker's answer (already handled if unawaited). */
  private begin(sink: LayerSink): { id: number; slot: Slot; pending: Pending; done: Promise<LayerRow> } {
    const slot = this.slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    const id = this.nextId++;
    const done = new Promise<LayerRow>((resolve, reject) => this.pending.set(id, { sink, resolve, reject }));
    // The worker may fail the layer while the caller still reads the blob: the caller returns the rejection.
    done.catch(() => undefined);
    slot.jobs.add(id);
    return { id, slot, pending: this.pending.get(id)!, done };
  }

  /** The worker reads the file; its count of bytes read drives progress. */
  private async scanFile(job: LayerJob, file: BlobFile, sink: LayerSink): Promise<LayerRow> {
    const { id, slot, done } = this.begin(sink);
    const consumed = new BigInt64Array(new SharedArrayBuffer(8));
    slot.worker.postMessage({ type: 'file', id, job: { ...job, verifyBlob: 'scanner' }, file, consumed } satisfies ToWorker);
    let reported = 0;
    const report = () => {
      const read = Number(Atomics.load(consumed, 0));
      if (read > reported) sink.bytes?.(read - reported);
      reported = Math.max(reported, read);
    };
    const timer = setInterval(report, 200);
    try {
      return await done;
    } finally {
      clearInterval(timer);
      report();
    }
  }

  /** The blob's digest and size are checked here, on the reading thread, while the worker decompresses. */
  private async scanStream(job: LayerJob, input: Readable, sink: LayerSink): Promise<LayerRow> {
    let verifier: BlobVerifier;
    try {
      verifier = new BlobVerifier(job.layerDigest, job.expectedSize);
    } catch (err) {
      input.destroy();
      throw err;
    }
    const { id, slot, pending: p, done } = this.begin(sink);
    const send = (m: ToWorker, transfer?: ArrayBuffer[]) => slot.worker.postMessage(m, transfer);
    // Bytes sent minus bytes the worker has consumed (a shared counter, no message per chunk) stay bounded.
    const consumed = new BigInt64Array(new SharedArrayBuffer(8));
    let sent = 0;
    send({ type: 'start', id, job: { ...job, verifyBlob: 'caller' }, consumed });
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        if (!this.pending.has(id)) break;
        verifier.update(chunk);
        const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : Uint8Array.prototype.slice.call(chunk);
        sent += own.byteLength;
        sink.bytes?.(own.byteLength);
        send({ type: 'chunk', id, data: own }, [own.buffer as ArrayBuffer]);
        for (;;) {
          const released = Atomics.load(consumed, 0);
          if (sent - Number(released) <= maxUnackedBytes || !this.pending.has(id)) break;
          const wait = Atomics.waitAsync(consumed, 0, released, 1000);
          if (wait.async) await Promise.race([wait.value, new Promise<void>((r) => (p.wake = r))]);
        }
      }
      if (this.pending.has(id)) {
        verifier.finish();
        send({ type: 'end', id });
      }
    } catch (err) {
      if (this.pending.has(id)) {
        send({ type: 'abort', id });
        const e =
          err instanceof ImgscanError
            ? withContext(err, { layer: job.layerDigest })
            : new ImgscanError('BLOB_MISSING', `reading layer blob failed: ${(err as Error).message}`, { layer: job.layerDigest }, { cause: err });
        this.finish(id)?.reject(e);
      }
    } finally {
      if (!this.pending.has(id)) input.destroy();
    }
    return done;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}

async function scanInline(job: LayerJob, input: Readable, sink: LayerSink): Promise<LayerRow> {
  const scanner = new LayerScanner(job, { files: (r) => sink.files(r), chunks: (r) => sink.chunks?.(r) });
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      sink.bytes?.(chunk.byteLength);
      await scanner.write(chunk);
    }
  } catch (err) {
    input.destroy();
    throw err instanceof ImgscanError ? err : new ImgscanError('BLOB_MISSING', `reading layer blob failed: ${(err as Error).message}`, { layer: job.layerDigest }, { cause: err });
  }
  return scanner.end();
}
