-- Section 2: compression_ratio = tar_size / compressed_size of each unique layer, by compression (sniffed
-- from the blob's first bytes) and over all layers (is_total). Quantiles interpolate linearly.
SELECT compression, grouping(compression) = 1 AS is_total, count(*) AS layers,
  quantile_cont(tar_size / compressed_size, 0.1) AS p10,
  quantile_cont(tar_size / compressed_size, 0.5) AS median,
  quantile_cont(tar_size / compressed_size, 0.9) AS p90
FROM a_layers
WHERE compressed_size > 0
GROUP BY GROUPING SETS ((compression), ())
ORDER BY is_total, compression;
