import { parentPort } from 'node:worker_threads';
import { ImgscanError } from '../errors.js';
import { LayerScanner } from '../layers/scan-layer.js';
import type { FromWorker, ToWorker } from './messages.js';
import { encodeChunks, encodeFiles, transferables } from './row-codec.js';
import { youngCollector } from './young-gc.js';

/** A worker thread that scans the layers it is sent, one at a time per job id. */
const port = parentPort!;
const collect = youngCollector(4 << 20);
const scanners = new Map<number, { scanner: LayerScanner; consumed: BigInt64Array; tail: Promise<void>; failed: boolean }>();

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

function fail(id: number, err: unknown): void {
  const state = scanners.get(id);
  if (!state || state.failed) return;
  state.failed = true;
  const e = err instanceof ImgscanError ? err : new ImgscanError('INTERNAL', (err as Error)?.message ?? String(err));
  post({ type: 'error', id, error: { code: e.code, message: e.message, context: e.context } });
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'start': {
      const { id, consumed } = msg;
      const scanner = new LayerScanner(msg.job, {
        files: (rows) => {
          const batch = encodeFiles(rows);
          post({ type: 'files', id, batch }, transferables(batch));
        },
        chunks: (rows) => {
          const batch = encodeChunks(rows);
          post({ type: 'chunks', id, batch }, transferables(batch));
        },
      });
      scanners.set(id, { scanner, consumed, tail: Promise.resolve(), failed: false });
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
