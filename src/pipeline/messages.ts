import type { ErrorCode, ErrorContext } from '../errors.js';
import type { BlobFile } from '../sources/types.js';
import type { LayerJob } from '../layers/job.js';
import type { LayerRow } from '../model/rows.js';
import type { ChunkBatch, FileBatch } from './row-codec.js';

export type ToWorker =
  /** `consumed`: a shared counter of the compressed bytes the worker has taken in (flow control). */
  | { type: 'start'; id: number; job: LayerJob; consumed: BigInt64Array }
  /** A blob in a local file, read by the worker itself; `consumed` counts the bytes read (progress). */
  | { type: 'file'; id: number; job: LayerJob; file: BlobFile; consumed: BigInt64Array }
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
