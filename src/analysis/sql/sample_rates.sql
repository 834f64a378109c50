-- The rates of the compression sample the layers analyzed were scanned with (none: no sample taken).
SELECT list(DISTINCT sample_rate ORDER BY sample_rate) FILTER (sample_rate IS NOT NULL) AS rates FROM a_layers;
