-- Runs after image_waste.sql (it reads a_image_waste and a_content_waste) and update_blobs.sql (a_image_blobs).
-- Pull traffic (docs/metrics.md): what a client moves for an image from nothing, under layer, file and chunk
-- dedup.

-- Per image, one row per design (chunk_dedup: per chunker): bytes and units fetched.
CREATE OR REPLACE TABLE a_pulls AS
SELECT 'layer_dedup' AS design, NULL::VARCHAR AS chunker, image_id, count(*)::BIGINT AS units, sum(compressed_size)::BIGINT AS bytes
FROM a_image_blobs GROUP BY image_id
UNION ALL
-- An image's distinct contents are its files but the copies content_waste counts (image_waste.sql): every
-- copy of a content after its first. No second pass over the files.
SELECT 'file_dedup', NULL, w.image_id, (w.file_count - coalesce(c.content_waste_copies, 0))::BIGINT, (w.files_size - w.content_waste)::BIGINT
FROM a_image_waste w LEFT JOIN a_content_waste c USING (image_id)
UNION ALL
SELECT 'chunk_dedup', k.chunker, i.image_id, count(c.digest)::BIGINT, coalesce(sum(c.size), 0)::BIGINT
FROM a_images i
CROSS JOIN (SELECT DISTINCT chunker FROM a_chunks) k
LEFT JOIN (SELECT b.image_id, c.chunker, c.digest, any_value(c.size) AS size FROM a_image_blobs b JOIN a_chunks c USING (layer_id) GROUP BY ALL) c
  ON c.image_id = i.image_id AND c.chunker = k.chunker
GROUP BY k.chunker, i.image_id;
