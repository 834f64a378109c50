-- Section 3: the duplicated contents that cost the most, by bytes_saved = (copies - 1) * size (what keeping
-- the content once would save). Ties go to the smaller digest. Up to three paths are listed (the smallest).
WITH top AS (
  SELECT h, h2, size, file_class, copies, layers, (copies - 1) * size AS bytes_saved
  FROM a_digests
  WHERE copies > 1
  QUALIFY rank() OVER (ORDER BY (copies - 1) * size DESC) <= {{top}}
),
-- Files are found by their size first (an integer compare), so that only files of a top content's size have
-- their digest hashed.
located AS (
  SELECT f.layer_id, f.entry_index, f.h, f.h2 FROM a_files f JOIN top t USING (h, h2)
  WHERE f.size IN (SELECT size FROM top)
),
copies AS (
  SELECT l.h, l.h2, e.path, e.digest FROM located l JOIN a_entries e USING (layer_id, entry_index)
)
SELECT any_value(c.digest) AS digest, t.size, t.file_class, t.copies, t.layers, t.bytes_saved::BIGINT AS bytes_saved,
  count(DISTINCT c.path) AS paths_distinct,
  list_sort(list_distinct(list(c.path)))[1:3] AS paths
FROM top t JOIN copies c USING (h, h2)
GROUP BY t.h, t.h2, t.size, t.file_class, t.copies, t.layers, t.bytes_saved
ORDER BY bytes_saved DESC, digest
LIMIT {{top}};
