import type { AnalysisDb } from './db.js';
import { dedupRatio, savings } from './figures.js';
import type { ChunkerFigures, ChunkFigures } from './types.js';

/** A row of the chunk query: the measured columns of ChunkerFigures. */
type ChunkRow = Pick<ChunkerFigures, 'chunker' | 'layers' | 'files_size' | 'chunk_refs' | 'chunk_bytes_total' | 'chunks_distinct' | 'chunk_bytes_distinct'>;

/** "fastcdc-16384-4096-65536" to its algorithm and average / min / max chunk sizes (null when not in the name). */
export function parseChunker(name: string): { algorithm: string; avg: number | null; min: number | null; max: number | null } {
  const m = /^([a-z0-9]+)-(\d+)-(\d+)-(\d+)$/i.exec(name);
  if (!m) return { algorithm: name, avg: null, min: null, max: null };
  return { algorithm: m[1], avg: Number(m[2]), min: Number(m[3]), max: Number(m[4]) };
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
