import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DuckDBDataChunk, type DuckDBResult } from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';

/**
 * The chunks of a DuckDB result, one after the other, each freed soon after it was handed over.
 *
 * A chunk `@duckdb/node-api` hands to JS (2,048 rows) is freed only when V8 collects the small object that wraps
 * it. Nothing else tells V8 about the chunk's memory, so a read that makes few JS objects of its own (typed-array
 * kernels) triggers no collection: every chunk is new memory, faulted in page by page, and the process grows by
 * the size of the whole result. A page fault costs 15-20 us on a virtual machine: a chunk of six 8-byte
 * columns took 350-580 us to fetch (10 M rows: 1.4-2.3 GB of RSS), against 80-110 us (about 110 MB) when a
 * young-generation collection every 32 chunks frees them, so that their memory is used again. A collection
 * takes well under a millisecond: the live young objects are few.
 */
const releaseEvery = 32;

type Collect = (options: { type: 'minor' | 'major' }) => void;

let collector: Collect | undefined;

/** V8's `gc` (exposed for a new context when node was started without --expose-gc). */
function collect(): Collect {
  if (!collector) {
    let gc = (globalThis as { gc?: Collect }).gc;
    if (typeof gc !== 'function') {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as Collect;
    }
    collector = gc;
  }
  return collector;
}

/**
 * The chunks of `result` until it ends (an empty chunk or none); read through `Db.stream`, which keeps the
 * connection from ending the stream early. The next chunk is asked for before one is handed over, so that DuckDB
 * makes it meanwhile. A view of a chunk's data (a vector's items) does not keep the chunk: call `keepAlive(chunk)`
 * after the last use of its views.
 */
export async function* chunksOf(result: DuckDBResult): AsyncGenerator<DuckDBDataChunk> {
  // The result's handle: `@duckdb/node-api` keeps it protected, and reads chunks through it just so.
  const handle = (result as unknown as { result: bindings.Result }).result;
  let next = bindings.fetch_chunk(handle);
  let fetched = 0;
  try {
    for (;;) {
      const chunk = await next;
      if (!chunk || bindings.data_chunk_get_size(chunk) === 0) return;
      next = bindings.fetch_chunk(handle);
      if (++fetched % releaseEvery === 0) collect()({ type: 'minor' });
      yield new DuckDBDataChunk(chunk);
    }
  } finally {
    // A chunk asked for when the reader stopped early is not waited for: its failure, if any, is not the one to report.
    next.catch(() => undefined);
  }
}

/**
 * Keeps `chunk` from being collected, and its memory freed, until this call. V8 may collect an object as soon as
 * no code reads the variable that holds it any more, even within the loop body that holds it; the views of its
 * vectors do not count. A collection while they are read (any allocation can start one) would free the memory
 * under them, and DuckDB, making the next chunk on another thread, could reuse it. A call into the bindings that
 * takes the chunk cannot be left out, so the chunk is held until here.
 */
export function keepAlive(chunk: DuckDBDataChunk): void {
  bindings.data_chunk_get_size(chunk.chunk);
}
