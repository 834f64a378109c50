import { type CsvCell, toCsv } from '../csv.js';
import type { ImageWaste, Summary } from '../../analysis/types.js';

type Row = Record<string, unknown>;

const redundancyColumns = [
  'files_total', 'files_distinct', 'singleton_files', 'distinct_file_fraction', 'singleton_file_fraction', 'file_bytes_total', 'file_bytes_distinct',
  'file_dedup_ratio', 'file_dedup_savings', 'intra_layer', 'cross_layer', 'intra_layer_bytes', 'cross_layer_bytes',
];

/** A table from objects; columns are their keys (one vocabulary), lists become `;`-separated text. */
function table(rows: readonly object[], columns?: readonly string[]): string {
  const cols = columns ?? (rows.length ? Object.keys(rows[0]) : []);
  return toCsv(
    cols,
    rows.map((r) => cols.map((c) => cell((r as Row)[c]))),
  );
}

function cell(v: unknown): CsvCell {
  if (Array.isArray(v)) return v.join(';');
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

/** Leaves only the scalar fields of an object (the one-row tables). */
function scalars(o: object): Row {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => !Array.isArray(v) && (v === null || typeof v !== 'object')));
}

/** csv/<name>.csv: one file per table of the report, with exact numbers. */
export function reportCsv(s: Summary, images: readonly ImageWaste[]): Record<string, string> {
  const bucketColumns = ['measure', 'upper', 'layers'];
  return {
    'dataset.csv': table([s.dataset]),
    'layer_sharing.csv': table([scalars(s.layer)]),
    'layer_ref_counts.csv': table(s.layer.layer_ref_counts, ['layer_refs', 'layers', 'compressed_size']),
    'top_layers.csv': table(s.layer.top_layers, ['layer_digest', 'layer_refs', 'images', 'compressed_size', 'tar_size', 'file_count', 'compression', 'bytes_saved']),
    'layers_per_image.csv': table(s.layer.layers_per_image, ['layers', 'images']),
    'layer_sizes.csv': table(s.layer.sizes, ['measure', 'layers', 'p10', 'median', 'p90', 'max']),
    'layer_size_buckets.csv': table(s.layer.size_buckets, bucketColumns),
    'compression_ratio.csv': table(s.layer.compression_ratio, ['compression', 'layers', 'p10', 'median', 'p90']),
    'file_redundancy.csv': table([scalars(s.file)]),
    'file_classes.csv': table(s.file.by_class, ['file_class', ...redundancyColumns, 'bytes_share']),
    'file_size_buckets.csv': table(s.file.size_buckets, ['upper', 'files', 'files_distinct', 'file_bytes', 'file_bytes_distinct']),
    'top_files.csv': table(s.file.top_duplicates, ['digest', 'size', 'file_class', 'copies', 'layers', 'bytes_saved', 'paths_distinct', 'paths']),
    'image_waste.csv': table([scalars(s.image)]),
    'images.csv': table(images, ['manifest_digest', 'ref', 'layer_refs', 'layers_read', 'compressed_size', 'tar_size', 'files_size', 'file_count', 'content_waste', 'path_waste', 'image_efficiency']),
    'storage.csv': table(s.storage.designs, ['design', 'chunker', 'content_bytes', 'metadata_bytes', 'chunk_refs', 'chunks_distinct', 'chunk_ref_bytes', 'uncompressed_bytes', 'compressed_bytes', 'compressed_how', 'compressed_low', 'compressed_high', 'zstd_bytes', 'zstd_low', 'zstd_high', 'ratio_to_layer_dedup', 'compressed_ratio_to_layer_dedup']),
    'compression-sample.csv': table(s.compression.classes, ['file_class', 'contents', 'bytes', 'sampled', 'sampled_bytes', 'gzip_ratio', 'zstd_ratio', 'pooled']),
    'pull_cost.csv': table([s.storage.pull_cost]),
    'traffic.csv': table(s.traffic.designs, ['design', 'chunker', 'compressed', 'estimated', 'pulls', 'pull_bytes_median', 'pull_bytes_p90', 'pull_bytes_total', 'updates', 'update_bytes_median', 'update_bytes_p90', 'update_bytes_total']),
    'build_steps_by_bytes.csv': table(s.build.by_bytes, ['instruction', 'images', 'layers', 'compressed_size', 'tar_size', 'content_waste', 'path_waste']),
    'build_steps_by_content_waste.csv': table(s.build.by_content_waste, ['instruction', 'images', 'layers', 'compressed_size', 'tar_size', 'content_waste', 'path_waste']),
    'build_steps_by_path_waste.csv': table(s.build.by_path_waste, ['instruction', 'images', 'layers', 'compressed_size', 'tar_size', 'content_waste', 'path_waste']),
    'restore.csv': table(s.traffic.restore, ['kind', 'count', 'layers_total', 'tar_bytes_median', 'tar_bytes_p90', 'tar_bytes_total', 'files_total']),
    'chunks.csv': table(s.chunk.chunkers, [
      'chunker', 'algorithm', 'avg', 'min', 'max', 'layers', 'files_size', 'chunk_refs', 'chunk_bytes_total', 'chunks_distinct', 'chunk_bytes_distinct', 'chunk_dedup_ratio', 'chunk_dedup_savings',
    ]),
    'docker_hub.csv': table(s.docker_hub, ['figure', 'ours', 'docker_hub', 'source']),
  };
}
