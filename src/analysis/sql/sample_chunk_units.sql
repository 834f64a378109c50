-- The distinct chunks of each chunker in the compression sample: bytes and compressed bytes (the same wherever
-- the chunk was cut, so any copy gives them).
SELECT chunker AS stratum, any_value(size)::DOUBLE AS x, any_value(gzip_size)::DOUBLE AS gz, any_value(zstd_size)::DOUBLE AS zs
FROM a_chunks
WHERE gzip_size IS NOT NULL
GROUP BY chunker, digest;
