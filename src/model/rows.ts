/** Row types of the dataset tables; field names are the column names of schemas/tables.sql. */

export interface ImageRow {
  manifest_digest: string;
  media_type: string;
  config_digest: string;
  os: string | null;
  architecture: string | null;
  variant: string | null;
  created: Date | null;
  layer_count: number;
  schema1_converted: boolean;
}

export interface ImageRefRow {
  registry: string;
  repository: string;
  tag: string | null;
  manifest_digest: string;
  index_digest: string | null;
}

export interface ImageLayerRow {
  manifest_digest: string;
  position: number;
  layer_digest: string;
  diff_id: string | null;
  media_type: string;
  compressed_size: number;
}

export interface ImageHistoryRow {
  manifest_digest: string;
  step: number;
  created: Date | null;
  created_by: string | null;
  comment: string | null;
  empty_layer: boolean;
  position: number | null;
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'whiteout' | 'opaque' | 'other';

export type FileClass = 'elf' | 'script' | 'archive' | 'python-bytecode' | 'sqlite' | 'image' | 'text' | 'empty' | 'other';

export type Compression = 'gzip' | 'zstd' | 'none';

export interface LayerRow {
  layer_digest: string;
  diff_id: string;
  compression: Compression;
  compressed_size: number;
  tar_size: number;
  files_size: number;
  /** Holes of GNU sparse files: counted in files_size, not stored in the tar (NULL in datasets written before it). */
  sparse_hole_size: number;
  entry_count: number;
  file_count: number;
  dir_count: number;
  symlink_count: number;
  hardlink_count: number;
  char_count: number;
  block_count: number;
  fifo_count: number;
  whiteout_count: number;
  opaque_count: number;
  /** The chunkers run on the layer's files, comma-separated in the order given; null without chunking. */
  chunker: string | null;
  /** Rate of the compression sample taken of the layer's file contents; null when none was taken. */
  sample_rate: number | null;
  /** The layer's metadata compressed, when the layer is in the compression sample (src/layers/sample.ts), else null. */
  metadata_gzip_size: number | null;
  metadata_zstd_size: number | null;
}

export interface FileRow {
  layer_digest: string;
  entry_index: number;
  path: string;
  entry_type: EntryType;
  size: number;
  digest: string | null;
  file_class: FileClass | null;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  link_target: string | null;
  dev_major: number | null;
  dev_minor: number | null;
  /** Compressed sizes of the content when it is in the compression sample (src/layers/sample.ts), else null. */
  gzip_size: number | null;
  zstd_size: number | null;
}

export interface ChunkRow {
  layer_digest: string;
  entry_index: number;
  chunk_index: number;
  digest: string;
  size: number;
  /** The chunker that cut it (NULL in datasets written before several chunkers could run). */
  chunker: string | null;
  /** Compressed sizes of the chunk when it is in the compression sample (src/layers/chunk-bytes.ts), else null. */
  gzip_size: number | null;
  zstd_size: number | null;
}

export interface FailureRow {
  scope: 'repository' | 'image' | 'layer' | 'source';
  target: string;
  image: string | null;
  layer_digest: string | null;
  code: string;
  message: string;
  failed_at: Date;
}

export interface TableRows {
  images: ImageRow;
  image_refs: ImageRefRow;
  image_layers: ImageLayerRow;
  image_history: ImageHistoryRow;
  layers: LayerRow;
  files: FileRow;
  chunks: ChunkRow;
  failures: FailureRow;
}
