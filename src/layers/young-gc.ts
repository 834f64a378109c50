import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'minor' | 'major' }) => void;

/**
 * A worker receives the compressed bytes of a streamed blob (from a registry) as buffers the main thread
 * allocated and hands over. Once scanned they are garbage here, but this thread's heap stays small and is
 * rarely collected, so they pile up (tens of MiB per worker, measured with `npm run bench` when every blob was
 * streamed; a blob the worker reads from a file reuses one buffer). The pipes of an igzip child
 * (src/layers/igzip.ts) leave the same garbage: a buffer per read of its output, a copy per write to its input.
 * A young-generation collection every `everyBytes` frees them
 * for a fraction of a millisecond each. Returns a counter to call with the bytes consumed; a no-op where the
 * collector cannot be reached.
 */
export function youngCollector(everyBytes: number): (bytes: number) => void {
  let gc: Gc;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
    if (typeof gc !== 'function') return () => {};
  } catch {
    return () => {};
  }
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < everyBytes) return;
    since = 0;
    gc({ type: 'minor' });
  };
}
