-- The distinct contents in the compression sample: their compressed sizes are the same wherever they were read,
-- so any copy gives them.
CREATE OR REPLACE TABLE a_sample_files AS
SELECT {{h}} AS h, {{h2}} AS h2, any_value(gzip_size)::DOUBLE AS gz, any_value(zstd_size)::DOUBLE AS zs
FROM files
WHERE gzip_size IS NOT NULL AND entry_type = 'file'
GROUP BY h, h2;
