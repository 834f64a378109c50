-- Section 3: the duplicated contents of top_contents.sql ({{chosen}}: their content ids) with their copies' paths,
-- by bytes_saved; ties go to the smaller digest. Up to three paths are listed (the smallest). The copies are read
-- by content key ({{keys}}: the first key of each chosen content), a filter DuckDB applies to the stored files as
-- it reads them, before it decodes their paths and digests.
WITH chosen AS (SELECT * FROM a_digests WHERE content_id IN ({{chosen}})),
copies AS (
  SELECT c.content_id, e.path, e.digest
  FROM a_entries e JOIN chosen c ON {{h}} = c.h AND {{h2}} = c.h2
  WHERE e.entry_type = 'file' AND {{h}} IN ({{keys}})
)
SELECT any_value(c.digest) AS digest, d.size, d.file_class, d.copies, d.layers, ((d.copies - 1) * d.size)::BIGINT AS bytes_saved,
  count(DISTINCT c.path) AS paths_distinct,
  list_sort(list_distinct(list(c.path)))[1:3] AS paths
FROM chosen d JOIN copies c USING (content_id)
GROUP BY d.content_id, d.size, d.file_class, d.copies, d.layers
ORDER BY bytes_saved DESC, digest
LIMIT {{top}};
