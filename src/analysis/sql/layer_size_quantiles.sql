-- Section 2: quantiles of the unique layers' sizes (linear interpolation between order statistics, at
-- position q * (n - 1)).
SELECT 'compressed_size' AS measure, count(*) AS layers,
  quantile_cont(compressed_size, 0.1) AS p10, quantile_cont(compressed_size, 0.5) AS median, quantile_cont(compressed_size, 0.9) AS p90,
  max(compressed_size) AS max
FROM a_layers
UNION ALL
SELECT 'tar_size', count(*), quantile_cont(tar_size, 0.1), quantile_cont(tar_size, 0.5), quantile_cont(tar_size, 0.9), max(tar_size)
FROM a_layers;
