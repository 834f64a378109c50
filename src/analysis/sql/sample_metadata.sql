-- The compression sample of layer metadata (the tar but its file contents): every unique layer analyzed with
-- metadata, its bytes (x) and, when in the sample, its compressed bytes.
SELECT 'metadata' AS stratum, (tar_size - files_size + coalesce(sparse_hole_size, 0))::DOUBLE AS x,
  metadata_gzip_size::DOUBLE AS gz, metadata_zstd_size::DOUBLE AS zs
FROM a_layers
WHERE tar_size - files_size + coalesce(sparse_hole_size, 0) > 0;
