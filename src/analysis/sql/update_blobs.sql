-- The update pairs of pull and update traffic (docs/metrics.md) and the blobs an update fetches: no image waste
-- needed, so analyze.ts makes them, and what updates move (walks.ts, traffic_updates.sql), beside image_waste.sql.
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
