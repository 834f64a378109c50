-- Section 3: files by size in power-of-two buckets (upper = 2^k holds sizes in (2^(k-1), 2^k]; 0 holds the
-- empty files): every file, and each distinct content once.
SELECT a_bucket(size) AS upper,
  sum(copies)::BIGINT AS files, count(*)::BIGINT AS files_distinct,
  sum(copies * size)::BIGINT AS file_bytes, sum(size)::BIGINT AS file_bytes_distinct
FROM a_digests
GROUP BY 1
ORDER BY 1;
