-- Working tables over the dataset views of src/store/views.ts, built once per analysis.
-- Shards and reruns may store a layer, an image or a ref in more than one Parquet part: each is kept once
-- here, so every later query counts unique layers (docs/metrics.md: file-level figures are over unique layers).
-- Integer ids (layer_id, image_id) and 64-bit keys keep the large sorts and joins cheap; the files table
-- itself is not copied (a_entries reads the Parquet parts again where strings are needed).

-- Only layers a stored image lists count (docs/metrics.md: a layer is a blob listed in an image manifest): a layer
-- read for an image that then failed is stored, but belongs to no image of the dataset.
CREATE OR REPLACE TABLE a_layers AS
SELECT (row_number() OVER (ORDER BY layer_digest))::INTEGER AS layer_id, *
FROM (
  SELECT DISTINCT ON (layer_digest) * FROM layers
  WHERE layer_digest IN (SELECT il.layer_digest FROM image_layers il JOIN images USING (manifest_digest))
);

CREATE OR REPLACE TABLE a_images AS
SELECT (row_number() OVER (ORDER BY manifest_digest))::INTEGER AS image_id, *
FROM (SELECT DISTINCT ON (manifest_digest) * FROM images);

CREATE OR REPLACE TABLE a_image_refs AS
SELECT DISTINCT registry, repository, tag, manifest_digest FROM image_refs;

-- One row per layer ref (image, position); layer_id is NULL for a layer that was never read.
CREATE OR REPLACE TABLE a_image_layers AS
SELECT i.image_id, il.position, il.layer_digest, il.compressed_size, l.layer_id
FROM (SELECT DISTINCT ON (manifest_digest, position) * FROM image_layers) il
JOIN a_images i USING (manifest_digest)
LEFT JOIN a_layers l USING (layer_digest);

-- Layers whose rows were stored more than once; only their entries go through DISTINCT.
CREATE OR REPLACE TABLE a_layers_twice AS
SELECT layer_digest FROM layers GROUP BY layer_digest HAVING count(*) > 1;

-- A ref as users type it: oci:PATH:TAG and docker-archive:PATH for local sources, else REGISTRY/REPOSITORY:TAG.
CREATE OR REPLACE MACRO a_ref_name(registry, repository, tag) AS
  CASE WHEN registry IN ('oci', 'docker-archive', 'docker-daemon') THEN registry || ':' || repository ELSE registry || '/' || repository END
  || coalesce(':' || tag, '');
