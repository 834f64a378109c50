import { parentPort } from 'node:worker_threads';
import { ImgscanError } from '../errors.js';
import type { LayerSink } from '../layers/job.js';
import { scanLayer } from '../layers/scan-layer.js';
import type { FromWorker, ToWorker } from './messages.js';
import { encodeChunks, encodeFiles, transferables } from './row-codec.js';
import { fileBytes, PostedBytes } from './worker-bytes.js';
import { youngCollector } from '../layers/young-gc.js';

/** A worker thread that scans the layers it is sent, each from its byte source, several jobs at once. */
const port = parentPort!;
const collect = youngCollector(4 << 20);

interface Job {
  aborted: boolean;
  /** The chunks posted for the job, when its bytes come that way. */
  posted?: PostedBytes;
}

const jobs = new Map<number, Job>();

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

function postError(id: number, err: unknown): void {
  const e = err instanceof ImgscanError ? err : new ImgscanError('INTERNAL', (err as Error)?.message ?? String(err));
  post({ type: 'error', id, error: { code: e.code, message: e.message, context: e.context } });
}

/** A sink posting rows to the main thread as column batches and counting the bytes scanned in `taken`. */
function rowPoster(id: number, taken: BigInt64Array): LayerSink {
  return {
    files: (rows) => {
      const batch = encodeFiles(rows);
      post({ type: 'files', id, batch }, transferables(batch));
    },
    chunks: (rows) => {
      const batch = encodeChunks(rows);
      post({ type: 'chunks', id, batch }, transferables(batch));
    },
    bytes: (n) => {
      Atomics.add(taken, 0, BigInt(n));
      Atomics.notify(taken, 0);
    },
  };
}

/** The one scan path: bytes from the job's source through the scanner; the answer is posted unless aborted. */
function start({ id, job, from, taken }: Extract<ToWorker, { type: 'scan' }>): void {
  const state: Job = { aborted: false };
  let bytes: AsyncIterable<Uint8Array>;
  if (from.kind === 'file') bytes = fileBytes(from.file, () => !state.aborted);
  else bytes = state.posted = new PostedBytes(collect);
  jobs.set(id, state);
  scanLayer(bytes, job, rowPoster(id, taken))
    .then(
      (layer) => state.aborted || post({ type: 'done', id, layer }),
      (err: unknown) => state.aborted || postError(id, err),
    )
    .finally(() => jobs.delete(id));
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'scan':
      start(msg);
      break;
    case 'chunk':
      jobs.get(msg.id)?.posted?.push(msg.data);
      break;
    case 'end':
      jobs.get(msg.id)?.posted?.end();
      break;
    case 'abort': {
      const state = jobs.get(msg.id);
      if (!state) return;
      state.aborted = true;
      state.posted?.abort();
      break;
    }
  }
});
