-- Section 5: what file-level dedup costs on a pull (DupHunter): a layer must be reassembled from its files,
-- re-tarred and recompressed. Per unique layer read: files to fetch and tar bytes to rebuild; per image: files
-- to fetch over its layers. Quantiles interpolate linearly.
SELECT
  (SELECT quantile_cont(file_count, 0.5) FROM a_layers) AS files_per_layer_median,
  (SELECT quantile_cont(file_count, 0.9) FROM a_layers) AS files_per_layer_p90,
  (SELECT quantile_cont(tar_size, 0.5) FROM a_layers) AS tar_size_per_layer_median,
  (SELECT quantile_cont(tar_size, 0.9) FROM a_layers) AS tar_size_per_layer_p90,
  (SELECT quantile_cont(file_count, 0.5) FROM a_image_waste) AS files_per_image_median,
  (SELECT quantile_cont(file_count, 0.9) FROM a_image_waste) AS files_per_image_p90;
