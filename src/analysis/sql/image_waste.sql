-- Per-image waste (docs/metrics.md), over the working tables of prepare.sql.
--   content_waste: bytes of the image's files whose digest already appears in a lower layer of the image or
--                  earlier in the same layer: every copy of a content but the first.
--   path_waste:    dive-style and path-based. A file copy is wasted when it is not visible in the image's final
--                  filesystem and its path is also written or deleted by another layer of the image: overwritten
--                  by a later entry at the same path, deleted by a whiteout (.wh.NAME) of a higher layer, or below
--                  a directory that a higher layer deletes, makes opaque (.wh..wh..opq) or replaces.
-- The walks of src/analysis/walks.ts do the per-image passes over every entry; this script decides path waste on
-- the exact paths of the few entries they point at.

-- Made before this script by src/analysis/walks.ts, one pass over each image's layers:
--   a_content_waste_layers (image_id, position, content_waste, content_waste_copies): per layer ref, so that build
--     steps can name the layer a copy repeats in: the first copy of a content, by layer then tar order, is not
--     waste; every later one is waste in its own layer.
--   a_path_candidates (image_id, position, layer_id, entry_index): entries whose path key the image holds at two
--     layer positions or more (a superset of the paths written by two layers: a key may stand for two paths);
--   a_hiding (layer_id, entry_index): entries but directories whose path key is a directory's (image_dirs.sql).

CREATE OR REPLACE TABLE a_content_waste AS
SELECT image_id, sum(content_waste)::BIGINT AS content_waste, sum(content_waste_copies)::BIGINT AS content_waste_copies
FROM a_content_waste_layers
GROUP BY image_id;

-- The entries path waste looks at, in one read of the stored paths: the candidates, the opaque entries and the
-- entries that hide a directory (a_hiding, made by walks.ts over image_dirs.sql), each with the path it writes or
-- deletes (a whiteout: the path it deletes; an opaque entry: the directory it hides).
CREATE OR REPLACE TABLE a_fetched AS
WITH wanted AS (
  SELECT DISTINCT layer_id, entry_index FROM (SELECT layer_id, entry_index FROM a_path_candidates UNION ALL SELECT layer_id, entry_index FROM a_hiding)
)
SELECT e.layer_id, e.entry_index, e.entry_type, e.size, a_target(e.entry_type, e.path) AS key
FROM a_entries e LEFT JOIN wanted w USING (layer_id, entry_index)
WHERE e.entry_type = 'opaque' OR w.layer_id IS NOT NULL;

-- The entries at the candidate paths, each with its path and its order in the image.
CREATE OR REPLACE TABLE a_path_touched AS
SELECT c.image_id, c.position, f.entry_index, f.entry_type, f.size, f.key,
  (c.position::BIGINT << 32) | f.entry_index AS seq
FROM a_path_candidates c JOIN a_fetched f USING (layer_id, entry_index);

-- Per (image, path) touched by two or more layers: the file bytes there, the entry on top (the last one in
-- layer order, then tar order) and the highest layer that deletes the path.
CREATE OR REPLACE TABLE a_path_groups AS
SELECT image_id, key,
  coalesce(sum(size) FILTER (WHERE entry_type = 'file'), 0)::BIGINT AS file_bytes,
  max(seq) FILTER (WHERE entry_type <> 'whiteout') AS top_at,
  arg_max(entry_type, seq) FILTER (WHERE entry_type <> 'whiteout') AS top_type,
  arg_max(size, seq) FILTER (WHERE entry_type <> 'whiteout') AS top_size,
  max(position) FILTER (WHERE entry_type = 'whiteout') AS deleted_at
FROM a_path_touched
GROUP BY image_id, key
HAVING min(position) < max(position);

-- The seq of the copy a group leaves visible: its top entry when that is a file no higher layer deletes.
CREATE OR REPLACE MACRO a_visible_top(top_type, top_at, deleted_at) AS
  CASE WHEN top_type = 'file' AND coalesce(deleted_at, -1) <= (top_at >> 32) THEN top_at END;

-- Directories a layer hides from the layers below it: opaque directories, and directories deleted by a
-- whiteout or replaced by another entry type (image_dirs.sql).
CREATE OR REPLACE TABLE a_masks AS
SELECT DISTINCT f.layer_id, f.key AS dir
FROM a_fetched f
WHERE f.entry_type = 'opaque' OR (f.layer_id, f.entry_index) IN (SELECT (layer_id, entry_index) FROM a_hiding);

-- Masks in images, the (lower layer, directory) pairs they cover and the files found there; then those
-- copies in every image where the mask sits above them.
CREATE OR REPLACE TABLE a_mask_refs AS
SELECT il.image_id, il.position AS mask_position, m.dir
FROM a_masks m JOIN a_image_layers il USING (layer_id);

CREATE OR REPLACE TABLE a_masked_files AS
WITH pairs AS (
  SELECT DISTINCT il.layer_id, mr.dir
  FROM a_mask_refs mr JOIN a_image_layers il ON il.image_id = mr.image_id AND il.position < mr.mask_position
  WHERE il.layer_id IS NOT NULL
)
SELECT p.layer_id, p.dir, f.entry_index, f.path, f.size
FROM pairs p JOIN a_entries f USING (layer_id)
WHERE f.entry_type = 'file' AND (p.dir = '' OR starts_with(f.path, p.dir || '/'));

CREATE OR REPLACE TABLE a_subtree_hidden AS
SELECT DISTINCT il.image_id, il.position, mf.entry_index, mf.path, mf.size
FROM a_masked_files mf
JOIN a_image_layers il USING (layer_id)
JOIN a_mask_refs mr ON mr.image_id = il.image_id AND mr.dir = mf.dir AND il.position < mr.mask_position;

-- Path waste per layer ref, in the layer that holds the wasted copy: in a path group every file copy but the one
-- left visible; and the copies a mask hides. A hidden copy counts once: a subtree-hidden copy already counted in
-- its path group is not added again.
CREATE OR REPLACE TABLE a_path_waste_layers AS
SELECT image_id, position, sum(w)::BIGINT AS path_waste
FROM (
  SELECT t.image_id, t.position, t.size AS w
  FROM a_path_touched t JOIN a_path_groups g USING (image_id, key)
  WHERE t.entry_type = 'file' AND t.seq IS DISTINCT FROM a_visible_top(g.top_type, g.top_at, g.deleted_at)
  UNION ALL
  SELECT s.image_id, s.position, s.size AS w
  FROM a_subtree_hidden s
  LEFT JOIN a_path_groups g ON g.image_id = s.image_id AND g.key = s.path
  WHERE g.image_id IS NULL OR a_visible_top(g.top_type, g.top_at, g.deleted_at) = ((s.position::BIGINT << 32) | s.entry_index)
)
GROUP BY image_id, position;

CREATE OR REPLACE TABLE a_path_waste AS
SELECT image_id, sum(path_waste)::BIGINT AS path_waste FROM a_path_waste_layers GROUP BY image_id;

-- One row per image: sizes over its layer refs, the two wastes and image_efficiency.
CREATE OR REPLACE TABLE a_image_waste AS
SELECT i.image_id, i.manifest_digest,
  coalesce(s.layer_refs, 0)::BIGINT AS layer_refs, coalesce(s.layers_read, 0)::BIGINT AS layers_read,
  coalesce(s.compressed_size, 0)::BIGINT AS compressed_size, coalesce(s.tar_size, 0)::BIGINT AS tar_size,
  coalesce(s.files_size, 0)::BIGINT AS files_size, coalesce(s.file_count, 0)::BIGINT AS file_count,
  coalesce(c.content_waste, 0)::BIGINT AS content_waste,
  coalesce(p.path_waste, 0)::BIGINT AS path_waste,
  CASE WHEN coalesce(s.files_size, 0) > 0 THEN 1 - coalesce(p.path_waste, 0) / s.files_size ELSE 1 END AS image_efficiency
FROM a_images i
LEFT JOIN (
  SELECT il.image_id, count(*) AS layer_refs, count(l.layer_id) AS layers_read,
    sum(il.compressed_size) AS compressed_size, sum(l.tar_size) AS tar_size,
    sum(l.files_size) AS files_size, sum(l.file_count) AS file_count
  FROM a_image_layers il LEFT JOIN a_layers l USING (layer_id)
  GROUP BY il.image_id
) s USING (image_id)
LEFT JOIN a_content_waste c USING (image_id)
LEFT JOIN a_path_waste p USING (image_id);
