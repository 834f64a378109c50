import { parentPort, workerData } from 'node:worker_threads';
import { ArrayLru, type PreparedBatch, replaySize, type SizeFigures } from './lru-array.js';
import { preparedBatch } from './lru-sweep.js';
import type { FromLruWorker, LruWorkerData, ToLruWorker } from './lru-threads.js';

/**
 * The worker thread of `ThreadedLruSweep`: replays its share of the cache sizes over the batches the main
 * thread prepares in shared memory, one slot at a time, and hands each slot back when done.
 */
const data = workerData as LruWorkerData;
const caches = data.capacities.map((c) => new ArrayLru(data.objects, c));
const figures: SizeFigures[] = data.capacities.map(() => ({ hits: 0, hit_bytes: 0, latency_s: 0 }));
const slots: PreparedBatch[] = data.slots.map((buffer) => preparedBatch(data.rows, buffer));
const port = parentPort!;

port.on('message', (msg: ToLruWorker) => {
  if (msg.type === 'finish') {
    port.postMessage({ type: 'figures', figures } satisfies FromLruWorker);
    port.close();
    return;
  }
  const batch = slots[msg.slot];
  batch.length = msg.length;
  for (let k = 0; k < caches.length; k++) replaySize(caches[k], figures[k], batch);
  port.postMessage({ type: 'done', slot: msg.slot } satisfies FromLruWorker);
});
