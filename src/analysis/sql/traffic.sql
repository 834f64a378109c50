-- Runs after image_waste.sql (it reads a_image_waste and a_content_waste).
-- Pull and update traffic (docs/metrics.md): what a client moves for an image, from nothing (pull) and holding
-- the previous version of its repository (update), under layer, file and chunk dedup.
-- A repository's versions are its images in the order of their config's `created` (then digest); an image
-- without `created` has no place in that order and is in no update pair. The same image under two
-- repositories is a version of each.
CREATE OR REPLACE TEMP TABLE a_update_pairs AS
SELECT prev_id, image_id
FROM (
  SELECT image_id, lag(image_id) OVER (PARTITION BY registry, repository ORDER BY created, manifest_digest) AS prev_id
  FROM (
    SELECT DISTINCT r.registry, r.repository, i.image_id, i.created, i.manifest_digest
    FROM a_image_refs r JOIN a_images i USING (manifest_digest)
    WHERE i.created IS NOT NULL
  )
)
WHERE prev_id IS NOT NULL AND prev_id <> image_id;

-- Each image's distinct layers, read or not (a pull fetches every blob the manifest lists).
CREATE OR REPLACE TEMP TABLE a_image_blobs AS
SELECT DISTINCT image_id, layer_digest, compressed_size, layer_id FROM a_image_layers;

-- The layers of an update's new image that its previous version does not list: the blobs to fetch, and under
-- file or chunk dedup the only places a content new to the client can come from.
CREATE OR REPLACE TEMP TABLE a_update_blobs AS
SELECT p.prev_id, p.image_id, b.layer_digest, b.compressed_size, b.layer_id
FROM a_update_pairs p JOIN a_image_blobs b USING (image_id)
WHERE b.layer_digest NOT IN (SELECT o.layer_digest FROM a_image_blobs o WHERE o.image_id = p.prev_id);

-- Per image and per update pair, one row per design (chunk_dedup: per chunker): bytes and units fetched, and for
-- file and chunk dedup the layers the registry rebuilds (DupHunter's restore work: tar bytes and files).
CREATE OR REPLACE TEMP TABLE a_pulls AS
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

-- Under file and chunk dedup an update moves the distinct contents (chunks) of the new image's new layers
-- that no layer of the previous version holds. Both sides of each pair are put side by side and grouped: a
-- key held on the old side moves nothing. Only pairs with a new layer that was read have a side to compare.
CREATE OR REPLACE TEMP TABLE a_update_files AS
WITH fresh AS (SELECT DISTINCT prev_id, image_id FROM a_update_blobs WHERE layer_id IS NOT NULL),
sides AS (
  SELECT u.prev_id, u.image_id, f.h, f.h2, f.size, false AS held FROM a_update_blobs u JOIN a_files f USING (layer_id)
  UNION ALL
  SELECT p.prev_id, p.image_id, f.h, f.h2, f.size, true
  FROM fresh p JOIN a_image_blobs b ON b.image_id = p.prev_id JOIN a_files f ON f.layer_id = b.layer_id
)
SELECT prev_id, image_id, count(*)::BIGINT AS units, coalesce(sum(size), 0)::BIGINT AS bytes
FROM (SELECT prev_id, image_id, h, h2, any_value(size) AS size FROM sides GROUP BY prev_id, image_id, h, h2 HAVING NOT bool_or(held))
GROUP BY prev_id, image_id;

CREATE OR REPLACE TEMP TABLE a_update_chunks AS
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

CREATE OR REPLACE TEMP TABLE a_updates AS
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
CREATE OR REPLACE TEMP TABLE a_restores AS
SELECT 'pull' AS kind, i.image_id, count(l.layer_id)::BIGINT AS layers, coalesce(sum(l.tar_size), 0)::BIGINT AS tar_bytes, coalesce(sum(l.file_count), 0)::BIGINT AS files
FROM a_images i LEFT JOIN a_image_blobs b USING (image_id) LEFT JOIN a_layers l ON l.layer_id = b.layer_id
GROUP BY i.image_id
UNION ALL
SELECT 'update', p.image_id, count(l.layer_id)::BIGINT, coalesce(sum(l.tar_size), 0)::BIGINT, coalesce(sum(l.file_count), 0)::BIGINT
FROM a_update_pairs p LEFT JOIN a_update_blobs u USING (prev_id, image_id) LEFT JOIN a_layers l ON l.layer_id = u.layer_id
GROUP BY p.prev_id, p.image_id;
