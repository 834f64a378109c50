import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ImgscanError } from '../errors.js';
import { LayerScanner } from '../layers/scan-layer.js';
import type { BlobFile } from '../sources/types.js';
import type { FromWorker, ToWorker } from './messages.js';
import type { LayerJob } from '../layers/job.js';
import { encodeChunks, encodeFiles, transferables } from './row-codec.js';
import { youngCollector } from './young-gc.js';

/** A worker thread that scans the layers it is sent, one at a time per job id. */
const port = parentPort!;
const collect = youngCollector(4 << 20);
interface JobState {
  scanner: LayerScanner;
  /** Compressed bytes taken in: flow control for chunks sent, progress for files read here. */
  consumed: BigInt64Array;
  /** The chunks of the job, processed in order. */
  tail: Promise<void>;
  failed: boolean;
}

const scanners = new Map<number, JobState>();

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

/** Fails a job once (none for a job aborted or already failed). */
function fail(id: number, err: unknown): void {
  const state = scanners.get(id);
  if (!state || state.failed) return;
  state.failed = true;
  postError(id, err);
}

function postError(id: number, err: unknown): void {
  const e = err instanceof ImgscanError ? err : new ImgscanError('INTERNAL', (err as Error)?.message ?? String(err));
  post({ type: 'error', id, error: { code: e.code, message: e.message, context: e.context } });
}

/** A job's state, or undefined when its scanner cannot be made (the job has failed then). */
function startJob(id: number, job: LayerJob, consumed: BigInt64Array): JobState | undefined {
  let layerScanner: LayerScanner;
  try {
    layerScanner = scanner(id, job);
  } catch (err) {
    postError(id, err);
    return undefined;
  }
  const state: JobState = { scanner: layerScanner, consumed, tail: Promise.resolve(), failed: false };
  scanners.set(id, state);
  return state;
}

/** A scanner posting its rows to the main thread as column batches. */
function scanner(id: number, job: LayerJob): LayerScanner {
  return new LayerScanner(job, {
    files: (rows) => {
      const batch = encodeFiles(rows);
      post({ type: 'files', id, batch }, transferables(batch));
    },
    chunks: (rows) => {
      const batch = encodeChunks(rows);
      post({ type: 'chunks', id, batch }, transferables(batch));
    },
  });
}

const readSize = 1 << 20;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Reads a blob from its file and scans it, all on this thread: no bytes cross threads, and the read buffer is
 * reused. Between reads the event loop turns, so that messages (abort, other jobs) get through.
 */
async function scanFile(id: number, state: JobState, file: BlobFile): Promise<void> {
  let fd: number;
  try {
    fd = openSync(file.path, 'r');
  } catch (err) {
    fail(id, new ImgscanError('BLOB_MISSING', `cannot open blob: ${(err as Error).message}`, { path: file.path }, { cause: err }));
    return;
  }
  try {
    const buffer = Buffer.allocUnsafe(Math.min(readSize, Math.max(file.size, 1)));
    for (let pos = 0; pos < file.size; ) {
      if (state.failed || !scanners.has(id)) return;
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, file.size - pos), file.offset + pos);
      if (n === 0) throw new ImgscanError('BLOB_MISSING', `blob ends after ${pos} of ${file.size} bytes`, { path: file.path });
      await state.scanner.write(buffer.subarray(0, n));
      pos += n;
      Atomics.store(state.consumed, 0, BigInt(pos));
      await nextTurn();
    }
    if (state.failed || !scanners.has(id)) return;
    post({ type: 'done', id, layer: await state.scanner.end() });
  } catch (err) {
    fail(id, err);
  } finally {
    closeSync(fd);
    state.scanner.destroy();
    scanners.delete(id);
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'start':
      startJob(msg.id, msg.job, msg.consumed);
      break;
    case 'file': {
      const state = startJob(msg.id, msg.job, msg.consumed);
      if (state) void scanFile(msg.id, state, msg.file);
      break;
    }
    case 'chunk': {
      const state = scanners.get(msg.id);
      if (!state) return;
      const { data, id } = msg;
      state.tail = state.tail.then(async () => {
        if (state.failed) return;
        try {
          await state.scanner.write(data);
        } catch (err) {
          fail(id, err);
        }
        Atomics.add(state.consumed, 0, BigInt(data.byteLength));
        Atomics.notify(state.consumed, 0);
        collect(data.byteLength);
      });
      break;
    }
    case 'end': {
      const state = scanners.get(msg.id);
      if (!state) return;
      const { id } = msg;
      state.tail = state.tail.then(async () => {
        if (state.failed) return;
        try {
          const layer = await state.scanner.end();
          post({ type: 'done', id, layer });
        } catch (err) {
          fail(id, err);
        }
      }).finally(() => scanners.delete(id));
      break;
    }
    case 'abort':
      scanners.delete(msg.id);
      break;
  }
});
