-- --image: the paths behind path_waste of the selected images (a_path_groups and a_subtree_hidden of
-- image_waste.sql), most wasted bytes first: how many copies of files the path has in the image, the bytes
-- wasted there, and why (overwritten, deleted by a whiteout, or hidden below a deleted, opaque or replaced
-- directory).
WITH grouped AS (
  SELECT image_id, key AS path, file_bytes - CASE WHEN top_type = 'file' AND coalesce(deleted_at, -1) <= (top_at >> 32) THEN top_size ELSE 0 END AS wasted,
    CASE WHEN coalesce(deleted_at, -1) > (top_at >> 32) THEN 'deleted by a whiteout'
         WHEN top_type <> 'file' THEN 'replaced by a ' || top_type
         ELSE 'overwritten' END AS reason
  FROM a_path_groups
),
hidden AS (
  SELECT s.image_id, s.path, s.size AS wasted, 'below a hidden directory' AS reason
  FROM a_subtree_hidden s
  LEFT JOIN a_path_groups g ON g.image_id = s.image_id AND g.key = s.path
  WHERE g.image_id IS NULL
     OR (g.top_type = 'file' AND coalesce(g.deleted_at, -1) <= (g.top_at >> 32) AND g.top_at = ((s.position::BIGINT << 32) | s.entry_index))
)
SELECT i.manifest_digest, w.path, sum(w.wasted)::BIGINT AS wasted, string_agg(DISTINCT w.reason, ', ' ORDER BY w.reason) AS reason
FROM (SELECT * FROM grouped UNION ALL SELECT * FROM hidden) w
JOIN a_images i USING (image_id)
WHERE w.wasted > 0
GROUP BY i.manifest_digest, w.path
ORDER BY wasted DESC, w.path
LIMIT {{top}};
