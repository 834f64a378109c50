-- The distinct contents of the layers analyzed that are in the compression sample: class, bytes, compressed bytes.
SELECT coalesce(d.file_class, 'other') AS stratum, d.size::DOUBLE AS x, s.gz, s.zs
FROM a_digests d JOIN a_sample_files s USING (h, h2)
WHERE d.size > 0;
