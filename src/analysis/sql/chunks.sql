-- Section 6, chunk level (docs/metrics.md): per chunker (e.g. fastcdc-16384-4096-65536, fixed-1048576,
-- rollsum-65536), over the unique layers it chunked (layers.chunker lists every chunker run on a layer): chunk_refs (chunks of every file), chunk_bytes_total (their bytes: the concatenated file
-- contents), chunks_distinct and chunk_bytes_distinct (each chunk digest once); chunk_dedup_ratio is
-- chunk_bytes_total / chunk_bytes_distinct. files_size of the same layers is given to check coverage.
WITH per AS (
  SELECT chunker, digest, count(*)::BIGINT AS refs, any_value(size) AS size
  FROM a_chunks
  GROUP BY chunker, digest
),
c AS (
  SELECT chunker, sum(refs)::BIGINT AS chunk_refs, sum(refs * size)::BIGINT AS chunk_bytes_total,
    count(*)::BIGINT AS chunks_distinct, sum(size)::BIGINT AS chunk_bytes_distinct
  FROM per GROUP BY chunker
),
l AS (
  SELECT chunker, count(*)::BIGINT AS layers, sum(files_size)::BIGINT AS files_size
  FROM (SELECT trim(unnest(string_split(chunker, ','))) AS chunker, files_size FROM a_layers WHERE chunker IS NOT NULL)
  GROUP BY chunker
)
SELECT l.chunker, l.layers, l.files_size,
  coalesce(c.chunk_refs, 0)::BIGINT AS chunk_refs, coalesce(c.chunk_bytes_total, 0)::BIGINT AS chunk_bytes_total,
  coalesce(c.chunks_distinct, 0)::BIGINT AS chunks_distinct, coalesce(c.chunk_bytes_distinct, 0)::BIGINT AS chunk_bytes_distinct
FROM l LEFT JOIN c USING (chunker)
ORDER BY l.chunker;
