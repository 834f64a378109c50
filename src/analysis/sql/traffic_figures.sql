-- Pull and update traffic per design (traffic.sql): over images (pull) and over update pairs (update), the
-- median, 90th percentile and total bytes; quantiles interpolate linearly.
WITH designs AS (SELECT DISTINCT design, chunker FROM a_pulls UNION SELECT DISTINCT design, chunker FROM a_updates)
SELECT d.design, d.chunker,
  (SELECT count(*) FROM a_pulls p WHERE p.design = d.design AND p.chunker IS NOT DISTINCT FROM d.chunker)::BIGINT AS pulls,
  (SELECT quantile_cont(bytes, 0.5) FROM a_pulls p WHERE p.design = d.design AND p.chunker IS NOT DISTINCT FROM d.chunker) AS pull_bytes_median,
  (SELECT quantile_cont(bytes, 0.9) FROM a_pulls p WHERE p.design = d.design AND p.chunker IS NOT DISTINCT FROM d.chunker) AS pull_bytes_p90,
  (SELECT coalesce(sum(bytes), 0) FROM a_pulls p WHERE p.design = d.design AND p.chunker IS NOT DISTINCT FROM d.chunker)::BIGINT AS pull_bytes_total,
  (SELECT count(*) FROM a_updates u WHERE u.design = d.design AND u.chunker IS NOT DISTINCT FROM d.chunker)::BIGINT AS updates,
  (SELECT quantile_cont(bytes, 0.5) FROM a_updates u WHERE u.design = d.design AND u.chunker IS NOT DISTINCT FROM d.chunker) AS update_bytes_median,
  (SELECT quantile_cont(bytes, 0.9) FROM a_updates u WHERE u.design = d.design AND u.chunker IS NOT DISTINCT FROM d.chunker) AS update_bytes_p90,
  (SELECT coalesce(sum(bytes), 0) FROM a_updates u WHERE u.design = d.design AND u.chunker IS NOT DISTINCT FROM d.chunker)::BIGINT AS update_bytes_total
FROM designs d
ORDER BY CASE d.design WHEN 'layer_dedup' THEN 0 WHEN 'file_dedup' THEN 1 ELSE 2 END, d.chunker;
