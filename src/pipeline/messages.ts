import type { ErrorCode, ErrorContext } from '../errors.js';
import type { ChunkRow, FileRow, LayerRow } from '../store/rows.js';

/** What a layer job needs besides the bytes. */
export interface LayerJob {
  layerDigest: string;
  expectedSize?: number;
  chunking?: { avg: number; min: number; max: number };
}

export type ToWorker =
  | { type: 'start'; id: number; job: LayerJob }
  | { type: 'chunk'; id: number; data: Uint8Array }
  | { type: 'end'; id: number }
  | { type: 'abort'; id: number };

export interface SerializedError {
  code: ErrorCode;
  message: string;
  context: ErrorContext;
}

export type FromWorker =
  | { type: 'ack'; id: number; bytes: number }
  | { type: 'files'; id: number; rows: FileRow[] }
  | { type: 'chunks'; id: number; rows: ChunkRow[] }
  | { type: 'done'; id: number; layer: LayerRow }
  | { type: 'error'; id: number; error: SerializedError };
