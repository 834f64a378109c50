-- Section 2: the most shared layers. bytes_saved = (layer_refs - 1) * compressed_size: what sharing the
-- layer saves against storing it once per reference. A layer with one reference is not shared: not listed.
SELECT il.layer_digest,
  count(*) AS layer_refs,
  count(DISTINCT il.image_id) AS images,
  any_value(il.compressed_size) AS compressed_size,
  any_value(l.tar_size) AS tar_size,
  any_value(l.file_count) AS file_count,
  any_value(l.compression) AS compression,
  ((count(*) - 1) * any_value(il.compressed_size))::BIGINT AS bytes_saved
FROM a_image_layers il LEFT JOIN a_layers l USING (layer_id)
GROUP BY il.layer_digest
HAVING count(*) > 1
ORDER BY layer_refs DESC, bytes_saved DESC, il.layer_digest
LIMIT {{top}};
