import type { ErrorCode, ErrorContext } from '../errors.js';
import type { LayerJob } from '../layers/job.js';
import type { BlobFile } from '../sources/types.js';
import type { LayerRow } from '../model/rows.js';
import type { ChunkBatch, FileBatch } from './row-codec.js';

/**
 * Where a worker takes a layer's compressed bytes from: a local file it reads itself (no bytes cross threads),
 * or the chunks posted to it after `scan` and closed by `end`. Either way one scan path consumes them and
 * verifies the blob's digest and size.
 */
export type ByteSource = { kind: 'file'; file: BlobFile } | { kind: 'posted' };

export type ToWorker =
  /** `taken`: a shared counter of the compressed bytes scanned (progress, and flow control for posted chunks). */
  | { type: 'scan'; id: number; job: LayerJob; from: ByteSource; taken: BigInt64Array }
  | { type: 'chunk'; id: number; data: Uint8Array }
  | { type: 'end'; id: number }
  | { type: 'abort'; id: number };

export interface SerializedError {
  code: ErrorCode;
  message: string;
  context: ErrorContext;
}

export type FromWorker =
  | { type: 'files'; id: number; batch: FileBatch }
  | { type: 'chunks'; id: number; batch: ChunkBatch }
  | { type: 'done'; id: number; layer: LayerRow }
  | { type: 'error'; id: number; error: SerializedError };
