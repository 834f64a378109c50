-- Runs after image_waste.sql (it reads a_image_waste and a_content_waste).
-- Pull and update traffic (docs/metrics.md): what a client moves for an image, from nothing (pull) and holding
-- the previous version of its repository (update), under layer, file and chunk dedup.
-- A repository's versions are its images in the order of their config's `created` (then digest); an image
-- without `created` has no place in that order and is in no update pair. The same image under two
-- repositories is a version of each.
CREATE OR REPLACE TABLE a_update_pairs AS
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
CREATE OR REPLACE TABLE a_image_blobs AS
SELECT DISTINCT image_id, layer_digest, compressed_size, layer_id FROM a_image_layers;

-- The layers of an update's new image that its previous version does not list: the blobs to fetch, and under
-- file or chunk dedup the only places a content new to the client can come from.
CREATE OR REPLACE TABLE a_update_blobs AS
SELECT p.prev_id, p.image_id, b.layer_digest, b.compressed_size, b.layer_id
FROM a_update_pairs p JOIN a_image_blobs b USING (image_id)
WHERE b.layer_digest NOT IN (SELECT o.layer_digest FROM a_image_blobs o WHERE o.image_id = p.prev_id);

-- Per image and per update pair, one row per design (chunk_dedup: per chunker): bytes and units fetched, and for
-- file and chunk dedup the layers the registry rebuilds (DupHunter's restore work: tar bytes and files).
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
