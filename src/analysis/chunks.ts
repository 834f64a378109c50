import type { AnalysisDb } from './db.js';
import { dedupRatio, savings } from './figures.js';
import type { ChunkerFigures, ChunkFigures } from './types.js';

/** A row of the chunk query: the measured columns of ChunkerFigures. */
type ChunkRow = Pick<ChunkerFigures, 'chunker' | 'layers' | 'files_size' | 'chunk_refs' | 'chunk_bytes_total' | 'chunks_distinct' | 'chunk_bytes_distinct'>;

/**
 * A chunker name to its algorithm and chunk sizes (null where the name, or the algorithm, has none):
 * fastcdc-AVG-MIN-MAX, fixed-SIZE (avg = max = SIZE, the tail of a file shorter), rollsum-AVG (no min or max).
 */
export function parseChunker(name: string): { algorithm: string; avg: number | null; min: number | null; max: number | null } {
  const cdc = /^([a-z0-9]+)-(\d+)-(\d+)-(\d+)$/i.exec(name);
  if (cdc) return { algorithm: cdc[1], avg: Number(cdc[2]), min: Number(cdc[3]), max: Number(cdc[4]) };
  const one = /^(fixed|rollsum)-(\d+)$/.exec(name);
  if (!one) return { algorithm: name, avg: null, min: null, max: null };
  const size = Number(one[2]);
  return one[1] === 'fixed' ? { algorithm: 'fixed', avg: size, min: null, max: size } : { algorithm: 'rollsum', avg: size, min: null, max: null };
}

/** Section 6: chunk_dedup_ratio per chunker over the layers it chunked; `available` is false without chunk data. */
export async function chunkFigures(a: AnalysisDb): Promise<ChunkFigures> {
  const rows = await a.query<ChunkRow>('chunks');
  const chunkers: ChunkerFigures[] = rows.map((r) => {
    const ratio = dedupRatio(r.chunk_bytes_total, r.chunk_bytes_distinct);
    return { ...parseChunker(r.chunker), ...r, chunk_dedup_ratio: ratio, chunk_dedup_savings: savings(ratio) };
  });
  return {
    available: chunkers.some((c) => c.chunk_refs > 0),
    layers_chunked: chunkers.reduce((s, c) => s + c.layers, 0),
    chunkers,
  };
}
