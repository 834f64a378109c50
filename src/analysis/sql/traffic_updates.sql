-- Update traffic (docs/metrics.md): runs after update_blobs.sql and src/analysis/walks.ts, which makes a_update_files (prev_id, image_id, units, bytes): under
-- file dedup an update moves the distinct contents of the new image's new layers that no layer of the previous
-- version holds (one row per update that moves something).
-- Under chunk dedup the same, per chunker: both sides of each pair are put side by side and grouped: a key held
-- on the old side moves nothing. Only pairs with a new layer that was read have a side to compare.
CREATE OR REPLACE TABLE a_update_chunks AS
WITH fresh AS (SELECT DISTINCT prev_id, image_id FROM a_update_blobs WHERE layer_id IS NOT NULL),
sides AS (
  SELECT u.prev_id, u.image_id, c.chunker, c.digest, c.size, false AS held FROM a_update_blobs u JOIN a_chunks c USING (layer_id)
  UNION ALL
  SELECT p.prev_id, p.image_id, c.chunker, c.digest, c.size, true
  FROM fresh p JOIN a_image_blobs b ON b.image_id = p.prev_id JOIN a_chunks c ON c.layer_id = b.layer_id
)
SELECT prev_id, image_id, chunker, count(*)::BIGINT AS units, coalesce(sum(size), 0)::BIGINT AS bytes
FROM (SELECT prev_id, image_id, chunker, digest, any_value(size) AS size FROM sides GROUP BY prev_id, image_id, chunker, digest HAVING NOT bool_or(held))
GROUP BY prev_id, image_id, chunker;

CREATE OR REPLACE TABLE a_updates AS
SELECT 'layer_dedup' AS design, NULL::VARCHAR AS chunker, p.prev_id, p.image_id,
  count(u.layer_digest)::BIGINT AS units, coalesce(sum(u.compressed_size), 0)::BIGINT AS bytes
FROM a_update_pairs p LEFT JOIN a_update_blobs u USING (prev_id, image_id)
GROUP BY p.prev_id, p.image_id
UNION ALL
SELECT 'file_dedup', NULL, p.prev_id, p.image_id, coalesce(f.units, 0), coalesce(f.bytes, 0)
FROM a_update_pairs p LEFT JOIN a_update_files f USING (prev_id, image_id)
UNION ALL
SELECT 'chunk_dedup', k.chunker, p.prev_id, p.image_id, coalesce(c.units, 0), coalesce(c.bytes, 0)
FROM a_update_pairs p
CROSS JOIN (SELECT DISTINCT chunker FROM a_chunks) k
LEFT JOIN a_update_chunks c ON c.prev_id = p.prev_id AND c.image_id = p.image_id AND c.chunker = k.chunker;

-- DupHunter's restore work: under file (and chunk) dedup the registry rebuilds each layer it serves from its
-- files, re-tars and recompresses it: the tar bytes of the layers read that a pull or an update serves.
CREATE OR REPLACE TABLE a_restores AS
SELECT 'pull' AS kind, i.image_id, count(l.layer_id)::BIGINT AS layers, coalesce(sum(l.tar_size), 0)::BIGINT AS tar_bytes, coalesce(sum(l.file_count), 0)::BIGINT AS files
FROM a_images i LEFT JOIN a_image_blobs b USING (image_id) LEFT JOIN a_layers l ON l.layer_id = b.layer_id
GROUP BY i.image_id
UNION ALL
SELECT 'update', p.image_id, count(l.layer_id)::BIGINT, coalesce(sum(l.tar_size), 0)::BIGINT, coalesce(sum(l.file_count), 0)::BIGINT
FROM a_update_pairs p LEFT JOIN a_update_blobs u USING (prev_id, image_id) LEFT JOIN a_layers l ON l.layer_id = u.layer_id
GROUP BY p.prev_id, p.image_id;
