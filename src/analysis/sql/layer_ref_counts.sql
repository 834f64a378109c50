-- Section 2: how many layers are referenced once, twice, ... (layer_refs = (image, position) pairs naming
-- the layer), with their compressed bytes counted once.
SELECT layer_refs, count(*) AS layers, sum(compressed_size)::BIGINT AS compressed_size
FROM (
  SELECT layer_digest, count(*) AS layer_refs, any_value(compressed_size) AS compressed_size
  FROM a_image_layers GROUP BY layer_digest
)
GROUP BY layer_refs
ORDER BY layer_refs;
