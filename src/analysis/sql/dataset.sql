-- Section 1: what the dataset holds. Sizes are sums over the unique layers read.
SELECT
  (SELECT count(*) FROM a_images) AS images,
  -- A ref is a (registry, repository, tag), whatever images it resolved to over time; a ref by digest alone is
  -- that digest.
  (SELECT count(*) FROM (SELECT DISTINCT registry, repository, coalesce(tag, manifest_digest) FROM a_image_refs)) AS image_refs,
  (SELECT count(*) FROM (SELECT DISTINCT registry, repository FROM a_image_refs)) AS repositories,
  (SELECT count(*) FROM a_image_layers) AS layer_refs,
  (SELECT count(DISTINCT layer_digest) FROM a_image_layers) AS layers_unique,
  (SELECT count(*) FROM a_layers) AS layers_read,
  (SELECT count(DISTINCT layer_digest) FROM a_image_layers WHERE layer_id IS NULL) AS layers_missing,
  (SELECT coalesce(sum(entry_count), 0) FROM a_layers) AS entries_total,
  (SELECT coalesce(sum(copies), 0) FROM a_digests) AS files_total,
  (SELECT coalesce(sum(compressed_size), 0) FROM a_layers) AS compressed_size,
  (SELECT coalesce(sum(tar_size), 0) FROM a_layers) AS tar_size,
  (SELECT coalesce(sum(files_size), 0) FROM a_layers) AS files_size,
  (SELECT count(*) FROM failures) AS failures;
