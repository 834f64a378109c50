-- The compression sample of file contents (docs/metrics.md "Compressed size of a design"), per file class: the
-- distinct non-empty contents of the layers analyzed (population, population_bytes) and how many of them, and
-- of their bytes, are in the sample (n, sx). src/analysis/sample_file_units.sql lists those in the sample.
SELECT coalesce(d.file_class, 'other') AS stratum, count(*)::BIGINT AS population, sum(d.size)::DOUBLE AS population_bytes,
  count(s.gz)::BIGINT AS n, coalesce(sum(d.size) FILTER (s.gz IS NOT NULL), 0)::DOUBLE AS sx
FROM a_digests d LEFT JOIN a_sample_files s USING (h, h2)
WHERE d.size > 0
GROUP BY stratum
ORDER BY stratum;
