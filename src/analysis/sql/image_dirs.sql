-- The directories of the dataset, for the masks of image_waste.sql: made first, so that src/analysis/walks.ts can
-- find the entries that hide one (a_hiding) before image_waste.sql reads the stored paths.

-- A directory is any proper ancestor of a file's path, whether its layer writes an entry for it or not (a layer
-- may hold `a/b/f` alone: extracting it makes `a` and `a/b`, as an overlay mount shows them); only directories
-- with a file below them can hide a copy. The parents are
-- collected once (one DISTINCT, far fewer values than files), their ancestors by a recursive step over that
-- set. Entries are matched to directory paths by path key (an extra candidate hides nothing, as no lower file
-- sits below a path that was not a directory there): walks.ts writes a_hiding (layer_id, entry_index), the
-- entries but directories and opaque ones whose path key is one of these.
CREATE OR REPLACE TEMP TABLE a_dirs AS
WITH RECURSIVE dirs(dir) AS (
  SELECT DISTINCT parse_dirpath(path, '/') FROM a_file_paths WHERE contains(path, '/')
  UNION
  SELECT parse_dirpath(dir, '/') FROM dirs WHERE contains(dir, '/')
)
SELECT DISTINCT hash(dir) AS hp FROM dirs;
