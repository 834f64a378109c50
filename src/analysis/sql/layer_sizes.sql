-- Section 2: unique layers by compressed_size and tar_size, in power-of-two buckets (upper = 2^k holds the
-- sizes in (2^(k-1), 2^k]), and the quantiles of each.
SELECT 'compressed_size' AS measure, a_bucket(compressed_size) AS upper, count(*) AS layers FROM a_layers GROUP BY ALL
UNION ALL
SELECT 'tar_size' AS measure, a_bucket(tar_size) AS upper, count(*) AS layers FROM a_layers GROUP BY ALL
ORDER BY measure, upper;
