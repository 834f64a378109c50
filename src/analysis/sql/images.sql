-- Section 4: one row per image from a_image_waste (image_waste.sql), with one of its refs for display
-- (as users type it, the smallest), least efficient first.
SELECT w.manifest_digest,
  (SELECT min(a_ref_name(r.registry, r.repository, r.tag)) FROM a_image_refs r WHERE r.manifest_digest = w.manifest_digest) AS ref,
  w.layer_refs, w.layers_read, w.compressed_size, w.tar_size, w.files_size, w.file_count,
  w.content_waste, w.path_waste, w.image_efficiency
FROM a_image_waste w
ORDER BY w.image_efficiency, w.path_waste DESC, w.manifest_digest;
