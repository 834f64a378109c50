-- Section 3: the duplicated contents of top_contents.sql with their copies' paths (a_content_copies, found by
-- walks.ts), by bytes_saved; ties go to the smaller digest. Up to three paths are listed (the smallest).
WITH copies AS (
  SELECT c.content_id, e.path, e.digest FROM a_content_copies c JOIN a_entries e USING (layer_id, entry_index)
)
SELECT any_value(c.digest) AS digest, d.size, d.file_class, d.copies, d.layers, ((d.copies - 1) * d.size)::BIGINT AS bytes_saved,
  count(DISTINCT c.path) AS paths_distinct,
  list_sort(list_distinct(list(c.path)))[1:3] AS paths
FROM a_digests d JOIN copies c USING (content_id)
GROUP BY d.content_id, d.size, d.file_class, d.copies, d.layers
ORDER BY bytes_saved DESC, digest
LIMIT {{top}};
