import type { AnalysisDb } from './db.js';
import { exact, sumEstimates, type Estimate } from './estimate.js';
import type { ChunkerFigures, ChunkFigures, CompressionFigures, PullCost, StorageFigures, StorageRow } from './types.js';

interface StorageSums {
  per_image_tar_size: number;
  per_image_compressed_size: number;
  per_image_metadata_bytes: number;
  layer_dedup_tar_size: number;
  layer_dedup_compressed_size: number;
  file_bytes_distinct: number;
  metadata_bytes: number;
}

/** Bytes of the digest naming each chunk in a file's chunk list (chunk_dedup metadata). */
export const chunkRefBytes = 32;

/**
 * Section 5: the storage designs of docs/metrics.md over the layers read, each with its ratio to layer_dedup, and
 * what file-level dedup costs on a pull. A chunk_dedup row is listed per chunker that covered every layer read.
 */
export async function storageFigures(a: AnalysisDb, chunk: ChunkFigures, compression: CompressionFigures, layersRead: number): Promise<StorageFigures> {
  const [s] = await a.query<StorageSums>('storage');
  const [pull] = await a.query<PullCost>('pull_cost');
  const base = s.layer_dedup_tar_size;
  const baseCompressed = s.layer_dedup_compressed_size;
  const row = (design: StorageRow['design'], content: number, metadata: number, compressed: Compressed, chunks?: ChunkerFigures): StorageRow => ({
    design,
    chunker: chunks?.chunker ?? null,
    content_bytes: content,
    metadata_bytes: metadata,
    chunk_refs: chunks?.chunk_refs ?? null,
    chunks_distinct: chunks?.chunks_distinct ?? null,
    chunk_ref_bytes: chunks ? chunkRefBytes : null,
    uncompressed_bytes: content + metadata,
    ...compressed,
    ratio_to_layer_dedup: base > 0 ? (content + metadata) / base : 1,
    compressed_ratio_to_layer_dedup: compressed.compressed_bytes === null ? null : baseCompressed > 0 ? compressed.compressed_bytes / baseCompressed : 1,
  });
  const meta = compression.metadata;
  const fileDedup = estimated(sumEstimates([compression.file_contents.gzip, meta.gzip]), sumEstimates([compression.file_contents.zstd, meta.zstd]));
  const designs = [
    row('per_image', s.per_image_tar_size - s.per_image_metadata_bytes, s.per_image_metadata_bytes, measured(s.per_image_compressed_size)),
    row('layer_dedup', s.layer_dedup_tar_size - s.metadata_bytes, s.metadata_bytes, measured(s.layer_dedup_compressed_size)),
    row('file_dedup', s.file_bytes_distinct, s.metadata_bytes, fileDedup),
  ];
  const full = chunk.available ? chunk.chunkers.filter((c) => c.layers === layersRead) : [];
  for (const c of full) {
    const sample = compression.chunkers.find((k) => k.chunker === c.chunker);
    const gzip = chunkDesignEstimate(sample?.gzip ?? null, meta.gzip, c.chunk_refs);
    const zstd = chunkDesignEstimate(sample?.zstd ?? null, meta.zstd, c.chunk_refs);
    designs.push(row('chunk_dedup', c.chunk_bytes_distinct, s.metadata_bytes + chunkRefBytes * c.chunk_refs, estimated(gzip, zstd), c));
  }
  return { designs, chunk_dedup_note: chunkDedupNote(chunk, layersRead), pull_cost: pull };
}

/** Why chunk_dedup is missing for some or all chunkers: no chunk data, or chunkers that did not cover every layer read. */
function chunkDedupNote(chunk: ChunkFigures, layersRead: number): string | null {
  if (!chunk.available) return 'no chunk data (scan with --chunking)';
  const partial = chunk.chunkers.filter((c) => c.layers !== layersRead);
  if (partial.length === 0) return null;
  return `${partial.map((c) => `${c.chunker} chunked only ${c.layers} of ${layersRead} layers read`).join('; ')}: no chunk_dedup row for ${partial.length === 1 ? 'it' : 'them'}`;
}

type Compressed = Pick<StorageRow, 'compressed_bytes' | 'compressed_how' | 'compressed_low' | 'compressed_high' | 'zstd_bytes' | 'zstd_low' | 'zstd_high'>;

function measured(bytes: number): Compressed {
  return { compressed_bytes: bytes, compressed_how: 'measured', compressed_low: null, compressed_high: null, zstd_bytes: null, zstd_low: null, zstd_high: null };
}

/** Estimated compressed figures; 'exact' when the whole design is in the sample (no interval). */
function estimated(gzip: Estimate | null, zstd: Estimate | null): Compressed {
  const isExact = gzip !== null && gzip.se === 0 && zstd !== null && zstd.se === 0;
  const interval = (e: Estimate | null, end: 'low' | 'high') => (e === null || isExact ? null : e[end]);
  return {
    compressed_bytes: gzip?.value ?? null,
    compressed_how: gzip === null ? null : isExact ? 'exact' : 'estimated',
    compressed_low: interval(gzip, 'low'),
    compressed_high: interval(gzip, 'high'),
    zstd_bytes: zstd?.value ?? null,
    zstd_low: interval(zstd, 'low'),
    zstd_high: interval(zstd, 'high'),
  };
}

/** Chunk designs: the distinct chunks' estimate plus metadata plus the chunk references (32-byte digests, stored as they are). */
export function chunkDesignEstimate(chunks: Estimate | null, metadata: Estimate | null, chunkRefs: number): Estimate | null {
  return sumEstimates([chunks, metadata, exact(chunkRefBytes * chunkRefs)]);
}
