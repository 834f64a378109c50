import type { ChunkRow, FileRow } from '../model/rows.js';
import type { ChunkerSpec } from './chunker.js';
import type { GzipInflater } from './decompress.js';

/** What a layer scan needs besides the bytes: the blob it must be, and how file contents are chunked. */
export interface LayerJob {
  /** Compressed digest from the manifest; the blob is verified against it while reading. */
  layerDigest: string;
  /** Blob size from the manifest, checked when given. */
  expectedSize?: number;
  /** Chunkers each file's content goes through, each recording its own chunks; no chunking when absent or empty. */
  chunking?: ChunkerSpec[];
  /** Rate of the compression sample of file contents (src/layers/sample.ts); none when absent or 0. */
  sampleRate?: number;
  /** How gzip layers are inflated (resolved from --inflater); zlib on this thread when absent. */
  inflater?: GzipInflater;
}

/** Receives a layer's rows in batches, in entry order, and the compressed bytes taken in. */
export interface LayerSink {
  files(rows: FileRow[]): void;
  chunks?(rows: ChunkRow[]): void;
  /** Compressed bytes the scanner has taken in since the last call, for progress and flow control. */
  bytes?(n: number): void;
}
