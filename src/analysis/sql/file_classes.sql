-- Section 3, file level over unique layers (docs/metrics.md), by file class and in total.
--   files_total, file_bytes_total:         every file (entry_type 'file')
--   files_distinct, file_bytes_distinct:   each content once
--   singleton_files:                       contents found exactly once
--   layer_copies, layer_copy_bytes:        each content once per layer holding it (the sum of k over contents)
-- so intra_layer = files_total - layer_copies and cross_layer = layer_copies - files_distinct.
-- is_total marks the row over all classes.
SELECT file_class, grouping(file_class) = 1 AS is_total,
  coalesce(sum(copies), 0)::BIGINT AS files_total, coalesce(sum(copies * size), 0)::BIGINT AS file_bytes_total,
  count(*)::BIGINT AS files_distinct, coalesce(sum(size), 0)::BIGINT AS file_bytes_distinct,
  count(*) FILTER (WHERE copies = 1)::BIGINT AS singleton_files,
  coalesce(sum(layers), 0)::BIGINT AS layer_copies, coalesce(sum(layers * size), 0)::BIGINT AS layer_copy_bytes
FROM a_digests
GROUP BY GROUPING SETS ((file_class), ())
ORDER BY is_total, file_class;
