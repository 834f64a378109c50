import type { ChunkerSpec } from '../layers/chunker.js';
import type { GzipInflater } from '../layers/decompress.js';
import type { Failure } from '../model/failure.js';
import type { LayerRow } from '../model/rows.js';
import type { Image, Layer } from '../sources/types.js';

/* The options, hooks and results of `scanSources` (src/pipeline/scan.ts exports them), shared by its parts. */

export interface ScanOptions {
  /** Worker threads for layers; 0 scans on the calling thread. */
  workers: number;
  /** Layers read at once (default: workers, at least 1). */
  layerConcurrency?: number;
  /** Chunkers each file's content goes through (chunks table), none when absent or empty. */
  chunking?: ChunkerSpec[];
  /** Rate of the compression sample of file contents, none when absent or 0. */
  sampleRate?: number;
  /** How gzip layers are inflated (src/layers/decompress.ts resolveInflater); zlib when absent. */
  inflater?: GzipInflater;
  /** Commit a batch once this many rows are staged (default 250k) ... */
  commitRows?: number;
  /** ... or this many seconds after the last commit (default 30). */
  commitSeconds?: number;
  /** A failed image is recorded in `failures` and the scan goes on, instead of stopping at the first. */
  keepGoing?: boolean;
  /** Layer failures of one image after which its other layers are left unread and the image fails (default 10). */
  maxLayerFailures?: number;
  progress?: ScanProgress;
  /** Receives each row added to `failures`: a layer, an image or a source that failed. */
  onFailure?: (failure: ScanFailure) => void;
}

/** A layer, an image or a source that failed: one row of `failures`. */
export type ScanFailure = Failure;

/** Hooks for a progress display. */
export interface ScanProgress {
  image?(image: Image): void;
  layerQueued?(layer: Layer): void;
  layerDone?(layer: LayerRow | undefined): void;
  /** A layer found in the dataset already (stored before, or by another writer): not read again. */
  layerAlreadyStored?(layer: Layer): void;
  /** An image found in the dataset already: its layers are not looked at, only its new refs are added. */
  imageAlreadyStored?(image: Image): void;
  bytes?(n: number): void;
}

export interface ScanSummary {
  images: number;
  images_stored: number;
  images_already_stored: number;
  image_refs_added: number;
  layers_read: number;
  layers_skipped: number;
  /** Foreign (non-distributable) layers: not in the registry, served from elsewhere, not read. */
  layers_foreign: number;
  files: number;
  compressed_bytes: number;
  tar_bytes: number;
  failures: number;
}

export function emptySummary(): ScanSummary {
  return { images: 0, images_stored: 0, images_already_stored: 0, image_refs_added: 0, layers_read: 0, layers_skipped: 0, layers_foreign: 0, files: 0, compressed_bytes: 0, tar_bytes: 0, failures: 0 };
}
