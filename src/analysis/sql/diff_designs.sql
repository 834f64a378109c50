-- `imgscan diff`: what a client pulls for image {{b}} under file and chunk dedup, cold (pull_bytes) and holding
-- image {{a}} (update_bytes): the distinct contents (file_dedup) or chunks (chunk_dedup, per chunker) of {{b}}'s
-- layers, and of those the ones no layer of {{a}} holds. Uncompressed bytes.
WITH layers_of AS (
  SELECT DISTINCT image_id, layer_id FROM a_image_layers WHERE image_id IN ({{a}}, {{b}}) AND layer_id IS NOT NULL
),
contents AS (
  SELECT h, h2, any_value(size) AS size, bool_or(lo.image_id = {{a}}) AS in_a, bool_or(lo.image_id = {{b}}) AS in_b
  FROM a_files f JOIN layers_of lo USING (layer_id)
  GROUP BY h, h2
),
chunks AS (
  SELECT c.chunker, c.digest, any_value(c.size) AS size, bool_or(lo.image_id = {{a}}) AS in_a, bool_or(lo.image_id = {{b}}) AS in_b
  FROM a_chunks c JOIN layers_of lo USING (layer_id)
  GROUP BY c.chunker, c.digest
)
SELECT 'file_dedup' AS design, NULL AS chunker,
  count(*) FILTER (WHERE in_b)::BIGINT AS pull_count, coalesce(sum(size) FILTER (WHERE in_b), 0)::BIGINT AS pull_bytes,
  count(*) FILTER (WHERE in_b AND NOT in_a)::BIGINT AS update_count, coalesce(sum(size) FILTER (WHERE in_b AND NOT in_a), 0)::BIGINT AS update_bytes
FROM contents
UNION ALL
SELECT 'chunk_dedup', chunker,
  count(*) FILTER (WHERE in_b)::BIGINT, coalesce(sum(size) FILTER (WHERE in_b), 0)::BIGINT,
  count(*) FILTER (WHERE in_b AND NOT in_a)::BIGINT, coalesce(sum(size) FILTER (WHERE in_b AND NOT in_a), 0)::BIGINT
FROM chunks
GROUP BY chunker
ORDER BY design DESC, chunker;
