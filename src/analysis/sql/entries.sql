-- Entries and file contents over the working tables of prepare.sql. {{files}} and {{chunks}} are the dataset
-- views, or the views of once.sql when some layer was stored more than once.

-- Every tar entry of every unique layer, once.
CREATE OR REPLACE VIEW a_entries AS
SELECT l.layer_id, f.entry_index, f.entry_type, f.path, f.size, f.digest, f.file_class, f.content_key1, f.content_key2
FROM {{files}} f JOIN a_layers l USING (layer_digest);

-- Every chunk of every unique layer, once, with the chunker that cut it (a dataset written before chunks had
-- a chunker column ran one chunker per layer: layers.chunker names it).
CREATE OR REPLACE VIEW a_chunks AS
SELECT l.layer_id, coalesce(c.chunker, l.chunker) AS chunker, c.entry_index, c.chunk_index, c.digest, c.size, c.gzip_size, c.zstd_size
FROM {{chunks}} c JOIN a_layers l USING (layer_digest);

-- The path an entry writes; for a whiteout (.wh.NAME) the path it deletes, for an opaque entry
-- (.wh..wh..opq) the directory it hides ('' for the root).
CREATE OR REPLACE MACRO a_target(entry_type, path) AS
  CASE entry_type
    WHEN 'whiteout' THEN regexp_replace(path, '(^|/)\.wh\.([^/]*)$', '\1\2')
    WHEN 'opaque' THEN regexp_replace(path, '/?\.wh\.\.wh\.\.opq$', '')
    ELSE path
  END;

-- Every entry once, with 64-bit keys: hp of the path it writes or deletes (not for opaque entries), and for a
-- file its content's 128-bit key (h, h2: content_key1 and content_key2 of the files table, the digest's first 16
-- bytes; {{h}} and {{h2}} compute them from the digest for a dataset written before those columns). Grouping and
-- joining on integers is much cheaper than on 64-character strings; path keys only find candidates (path
-- waste is decided on the exact paths). A view: src/analysis/walks.ts reads it once into typed arrays, and the
-- few queries over it after that read only the columns they need.
CREATE OR REPLACE VIEW a_items AS
SELECT layer_id, entry_index, entry_type,
  CASE WHEN entry_type <> 'opaque' THEN hash(a_target(entry_type, path)) END AS hp,
  CASE WHEN entry_type = 'file' THEN {{h}} END AS h,
  CASE WHEN entry_type = 'file' THEN {{h2}} END AS h2,
  size, file_class
FROM a_entries;

-- The file classes the entries may name, to code them as small integers (walks.ts): read from the files alone,
-- without the join to the layers (a class only a layer outside the dataset names gets a code no row uses).
CREATE OR REPLACE VIEW a_file_class_names AS
SELECT DISTINCT file_class FROM {{files}} WHERE entry_type = 'file' AND file_class IS NOT NULL;

CREATE OR REPLACE VIEW a_files AS
SELECT layer_id, entry_index, h, h2, size, file_class FROM a_items WHERE entry_type = 'file';

-- a_digests, one row per distinct content with its size, class, copies and layers, is made from a_items by
-- src/analysis/walks.ts (docs/metrics.md "where duplicates live").

-- The upper end 2^k of the power-of-two bucket (2^(k-1), 2^k] that holds x; 0 for x <= 0.
CREATE OR REPLACE MACRO a_bucket(x) AS
  CASE WHEN x <= 0 THEN 0::BIGINT
       WHEN (1::BIGINT << ceil(log2(x))::INTEGER) < x THEN 1::BIGINT << (ceil(log2(x))::INTEGER + 1)
       WHEN ceil(log2(x))::INTEGER > 0 AND (1::BIGINT << (ceil(log2(x))::INTEGER - 1)) >= x THEN 1::BIGINT << (ceil(log2(x))::INTEGER - 1)
       ELSE 1::BIGINT << ceil(log2(x))::INTEGER
  END;
