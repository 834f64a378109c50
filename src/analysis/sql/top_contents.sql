-- Section 3: the duplicated contents that cost the most, by bytes_saved = (copies - 1) * size (what keeping
-- the content once would save), ties at the last place kept (rank <= {{top}}): those whose bytes_saved reaches
-- the {{top}}-th largest, found by a top-N instead of a sort of every content. Their content ids and first keys
-- (as text: an unsigned 64-bit integer is beyond a JS number), for top_files.sql to read their copies by key.
WITH saved AS (SELECT content_id, h, (copies - 1) * size AS bytes_saved FROM a_digests WHERE copies > 1)
SELECT content_id, h::VARCHAR AS h
FROM saved
WHERE bytes_saved >= coalesce((SELECT bytes_saved FROM saved ORDER BY bytes_saved DESC LIMIT 1 OFFSET {{top}} - 1), 0);
