import type { BuildStepFigures } from './build-steps.js';
import type { TrafficFigures } from './traffic.js';
import type { Estimate } from './estimate.js';

/**
 * The figures of `imgscan analyze`: the shape of summary.json (schemas/summary.schema.json) and of the
 * command's --json result. Every name is defined in docs/metrics.md or, where docs/metrics.md has none, in
 * docs/analyze.md; the same names are the CSV headers and the report's table headers.
 */

export interface DatasetFigures {
  images: number;
  image_refs: number;
  repositories: number;
  layer_refs: number;
  /** Distinct layer digests listed in manifests. */
  layers_unique: number;
  /** Unique layers whose contents were read (the file-level figures cover these). */
  layers_read: number;
  /** Listed layers never read (failed or not scanned). */
  layers_missing: number;
  entries_total: number;
  files_total: number;
  /** Sums over the unique layers read. */
  compressed_size: number;
  tar_size: number;
  files_size: number;
  /** Rows of the failures table. */
  failures: number;
}

export interface LayerRefCount {
  layer_refs: number;
  layers: number;
  compressed_size: number;
}

export interface TopLayer {
  layer_digest: string;
  layer_refs: number;
  images: number;
  compressed_size: number;
  tar_size: number | null;
  file_count: number | null;
  compression: string | null;
  bytes_saved: number;
}

export interface LayersPerImage {
  layers: number;
  images: number;
}

export interface SizeBucket {
  measure: 'compressed_size' | 'tar_size';
  /** Upper end 2^k of the bucket (2^(k-1), 2^k]; 0 for size 0. */
  upper: number;
  layers: number;
}

export interface SizeQuantiles {
  measure: 'compressed_size' | 'tar_size';
  layers: number;
  p10: number | null;
  median: number | null;
  p90: number | null;
  max: number | null;
}

export interface CompressionRatio {
  /** gzip | zstd | none, or "all". */
  compression: string;
  layers: number;
  p10: number | null;
  median: number | null;
  p90: number | null;
}

export interface LayerFigures {
  layer_refs: number;
  layers_unique: number;
  layer_refs_compressed_size: number;
  layers_unique_compressed_size: number;
  layer_dedup_ratio: number;
  layer_sharing_savings: number;
  layer_ref_counts: LayerRefCount[];
  top_layers: TopLayer[];
  layers_per_image: LayersPerImage[];
  sizes: SizeQuantiles[];
  size_buckets: SizeBucket[];
  compression_ratio: CompressionRatio[];
}

/** File-level redundancy of a set of files (all of them, or one file class). */
export interface FileRedundancy {
  files_total: number;
  files_distinct: number;
  singleton_files: number;
  distinct_file_fraction: number;
  singleton_file_fraction: number;
  file_bytes_total: number;
  file_bytes_distinct: number;
  file_dedup_ratio: number;
  file_dedup_savings: number;
  intra_layer: number;
  cross_layer: number;
  intra_layer_bytes: number;
  cross_layer_bytes: number;
}

export interface FileClassFigures extends FileRedundancy {
  file_class: string;
  /** file_bytes_total of the class / file_bytes_total of all files. */
  bytes_share: number;
}

export interface FileSizeBucket {
  upper: number;
  files: number;
  files_distinct: number;
  file_bytes: number;
  file_bytes_distinct: number;
}

export interface TopFile {
  digest: string;
  size: number;
  file_class: string | null;
  copies: number;
  layers: number;
  bytes_saved: number;
  paths_distinct: number;
  /** Up to three of its paths, smallest first. */
  paths: string[];
}

export interface FileFigures extends FileRedundancy {
  by_class: FileClassFigures[];
  size_buckets: FileSizeBucket[];
  top_duplicates: TopFile[];
}

export interface ImageWaste {
  manifest_digest: string;
  /** One of the image's refs (registry/repository:tag), the smallest. */
  ref: string | null;
  layer_refs: number;
  layers_read: number;
  compressed_size: number;
  tar_size: number;
  files_size: number;
  file_count: number;
  content_waste: number;
  path_waste: number;
  image_efficiency: number;
}

export interface ImageFigures {
  images: number;
  files_size: number;
  content_waste: number;
  path_waste: number;
  /** content_waste / files_size and path_waste / files_size over all images. */
  content_waste_fraction: number;
  path_waste_fraction: number;
  image_efficiency_median: number | null;
  image_efficiency_p10: number | null;
  least_efficient: ImageWaste[];
}

export type StorageDesign = 'per_image' | 'layer_dedup' | 'file_dedup' | 'chunk_dedup';

/** An estimate of compressed bytes with its 95% confidence interval (src/analysis/estimate.ts). */
export type { Estimate };

/** One file class in the compression sample. */
export interface SampleStratum {
  file_class: string;
  /** Distinct non-empty contents of the class, and their bytes. */
  contents: number;
  bytes: number;
  /** Of those, in the sample. */
  sampled: number;
  sampled_bytes: number;
  /** Bytes over compressed bytes in the sample (null without a sample). */
  gzip_ratio: number | null;
  zstd_ratio: number | null;
  /** True when the class had too few contents in the sample to stand alone and was estimated pooled with others. */
  pooled: boolean;
}

/** One chunker's distinct chunks in the compression sample and their estimated compressed bytes. */
export interface ChunkerSample {
  chunker: string;
  /** Its distinct chunks and their bytes. */
  chunks: number;
  chunk_bytes: number;
  chunks_sampled: number;
  gzip: Estimate | null;
  zstd: Estimate | null;
}

/** The compression sample and what it estimates (docs/metrics.md "Compressed size of a design"). */
export interface CompressionFigures {
  /** Whether any content of the layers analyzed is in a sample. */
  available: boolean;
  /** The rates the layers analyzed were scanned with. */
  sample_rates: number[];
  contents: number;
  contents_sampled: number;
  classes: SampleStratum[];
  /** The distinct file contents compressed one by one. */
  file_contents: { gzip: Estimate | null; zstd: Estimate | null };
  /** Per chunker, its distinct chunks compressed one by one. */
  chunkers: ChunkerSample[];
  /** The unique layers' metadata (the tars but their file contents) compressed layer by layer. */
  metadata: { layers: number; layers_sampled: number; gzip: Estimate | null; zstd: Estimate | null };
}

export interface StorageRow {
  design: StorageDesign;
  /** The chunker of a chunk_dedup row (one row per chunker that covered every layer read); null for the others. */
  chunker: string | null;
  /** Bytes of layer tars, distinct file contents or distinct chunks. */
  content_bytes: number;
  /** Per-layer metadata kept beside deduplicated contents (0 where whole tars are kept), and for chunk_dedup the chunk lists. */
  metadata_bytes: number;
  /** chunk_dedup: chunk references (chunks of every file) and distinct chunks kept; null for the others. */
  chunk_refs: number | null;
  chunks_distinct: number | null;
  /** chunk_dedup: metadata bytes per chunk reference (the chunk's digest in its file's chunk list); null for the others. */
  chunk_ref_bytes: number | null;
  uncompressed_bytes: number;
  /**
   * Compressed bytes: measured where whole layer blobs are kept (as the registry stores them); for the other
   * designs estimated from the compression sample with gzip -6 (null without a sample big enough).
   */
  compressed_bytes: number | null;
  /** 'measured', 'estimated' (with the 95% interval compressed_low..compressed_high) or 'exact' (all in the sample). */
  compressed_how: 'measured' | 'estimated' | 'exact' | null;
  compressed_low: number | null;
  compressed_high: number | null;
  /** Estimated with zstd -3 (file and chunk designs), with its 95% interval. */
  zstd_bytes: number | null;
  zstd_low: number | null;
  zstd_high: number | null;
  ratio_to_layer_dedup: number;
  compressed_ratio_to_layer_dedup: number | null;
}

export interface PullCost {
  files_per_layer_median: number | null;
  files_per_layer_p90: number | null;
  tar_size_per_layer_median: number | null;
  tar_size_per_layer_p90: number | null;
  files_per_image_median: number | null;
  files_per_image_p90: number | null;
}

export interface StorageFigures {
  designs: StorageRow[];
  /** Why chunk_dedup is missing, or is missing for some chunkers, when it is. */
  chunk_dedup_note: string | null;
  pull_cost: PullCost;
}

export interface ChunkerFigures {
  chunker: string;
  /**
   * Parsed from the chunker name: fastcdc-AVG-MIN-MAX gives all three; fixed-SIZE gives avg = max = SIZE (the
   * tail of a file is shorter) and min null; rollsum-AVG gives avg, with min and max null (it has neither).
   */
  algorithm: string;
  avg: number | null;
  min: number | null;
  max: number | null;
  layers: number;
  files_size: number;
  chunk_refs: number;
  chunk_bytes_total: number;
  chunks_distinct: number;
  chunk_bytes_distinct: number;
  chunk_dedup_ratio: number;
  chunk_dedup_savings: number;
}

export interface ChunkFigures {
  /** False when no layer was chunked ("no chunk data"). */
  available: boolean;
  /** Unique layers read that carry chunk data / all unique layers read. */
  layers_chunked: number;
  chunkers: ChunkerFigures[];
}

export interface PublishedFigure {
  figure: string;
  ours: number | null;
  docker_hub: number;
  source: string;
}

export interface Summary {
  schema_version: 1;
  data_dirs: string[];
  dataset: DatasetFigures;
  layer: LayerFigures;
  file: FileFigures;
  image: ImageFigures;
  storage: StorageFigures;
  compression: CompressionFigures;
  chunk: ChunkFigures;
  traffic: TrafficFigures;
  build: BuildStepFigures;
  docker_hub: PublishedFigure[];
}
