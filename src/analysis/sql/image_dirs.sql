-- The directories of the dataset, for the masks of image_waste.sql: made first, so that src/analysis/walks.ts can
-- find the entries that hide one (a_hiding) before image_waste.sql reads the stored paths. {{file_paths}} is the
-- stored files, read without the join to the layers (a directory only a layer outside the dataset holds is one
-- more candidate, and hides nothing, as no file of the dataset lies below it), or a_entries when a few images were
-- selected from a larger dataset (their layers' files only). It runs on a connection of its own, beside the walks
-- (src/analysis/db.ts): the working tables are the database's, seen by every connection.

-- A directory is any proper ancestor of a file's path, whether its layer writes an entry for it or not (a layer
-- may hold `a/b/f` alone: extracting it makes `a` and `a/b`, as an overlay mount shows them); only directories
-- with a file below them can hide a copy. The parents are
-- collected once (one DISTINCT, far fewer values than files), their ancestors by a recursive step over that
-- set. Entries are matched to directory paths by path key (an extra candidate hides nothing, as no lower file
-- sits below a path that was not a directory there): walks.ts writes a_hiding (layer_id, entry_index), the
-- entries but directories and opaque ones whose path key is one of these.
CREATE OR REPLACE TABLE a_dirs AS
WITH RECURSIVE dirs(dir) AS (
  SELECT DISTINCT parse_dirpath(path, '/') FROM {{file_paths}} WHERE entry_type = 'file' AND contains(path, '/')
  UNION
  SELECT parse_dirpath(dir, '/') FROM dirs WHERE contains(dir, '/')
)
SELECT DISTINCT hash(dir) AS hp FROM dirs;
