-- Section 5: bytes a registry keeps under each storage design, over the layers read (docs/metrics.md).
--   per_image:   every image keeps its own layers (each layer ref counted)
--   layer_dedup: each unique layer once (today's registries)
--   file_dedup:  each distinct file content once, plus per-layer metadata
--   chunk_dedup: each distinct chunk once, plus the same metadata and a 32-byte digest per chunk reference
-- Every design's bytes split into content (file bytes it stores) and metadata; per_image and layer_dedup
-- store whole tars, so their metadata is the tars' own.
-- Metadata of a layer = tar_size - (files_size - sparse_hole_size): its tar headers (with PAX and GNU
-- long-name records, sparse maps), padding and end-of-archive blocks, i.e. everything in the tar but the file
-- contents it stores (the holes of sparse files are in files_size, not in the tar); directories, links and
-- special files live only there.
SELECT
  (SELECT coalesce(sum(l.tar_size), 0) FROM a_image_layers il JOIN a_layers l USING (layer_id))::BIGINT AS per_image_tar_size,
  (SELECT coalesce(sum(l.compressed_size), 0) FROM a_image_layers il JOIN a_layers l USING (layer_id))::BIGINT AS per_image_compressed_size,
  (SELECT coalesce(sum(l.tar_size - l.files_size + coalesce(l.sparse_hole_size, 0)), 0) FROM a_image_layers il JOIN a_layers l USING (layer_id))::BIGINT AS per_image_metadata_bytes,
  (SELECT coalesce(sum(tar_size), 0) FROM a_layers)::BIGINT AS layer_dedup_tar_size,
  (SELECT coalesce(sum(compressed_size), 0) FROM a_layers)::BIGINT AS layer_dedup_compressed_size,
  (SELECT coalesce(sum(size), 0) FROM a_digests)::BIGINT AS file_bytes_distinct,
  (SELECT coalesce(sum(tar_size - files_size + coalesce(sparse_hole_size, 0)), 0) FROM a_layers)::BIGINT AS metadata_bytes;
