-- DupHunter's restore work (traffic.sql, a_restores) over pulls and over updates: layers rebuilt, their tar
-- bytes (median, 90th percentile, total) and files.
SELECT kind, count(*)::BIGINT AS count,
  coalesce(sum(layers), 0)::BIGINT AS layers_total,
  quantile_cont(tar_bytes, 0.5) AS tar_bytes_median, quantile_cont(tar_bytes, 0.9) AS tar_bytes_p90,
  coalesce(sum(tar_bytes), 0)::BIGINT AS tar_bytes_total, coalesce(sum(files), 0)::BIGINT AS files_total
FROM a_restores
GROUP BY kind
ORDER BY kind;
