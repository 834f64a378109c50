-- Section 2, layer level (docs/metrics.md): every layer listed in a manifest, with the compressed_size of its
-- descriptor. layer_dedup_ratio = layer_refs_compressed_size / layers_unique_compressed_size.
WITH u AS (
  SELECT layer_digest, any_value(compressed_size) AS compressed_size FROM a_image_layers GROUP BY layer_digest
)
SELECT
  (SELECT count(*) FROM a_image_layers) AS layer_refs,
  (SELECT count(*) FROM u) AS layers_unique,
  (SELECT coalesce(sum(compressed_size), 0) FROM a_image_layers) AS layer_refs_compressed_size,
  (SELECT coalesce(sum(compressed_size), 0) FROM u) AS layers_unique_compressed_size;
