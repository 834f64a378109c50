-- Section 3: the duplicated contents that cost the most, by bytes_saved = (copies - 1) * size (what keeping
-- the content once would save), ties at the last place kept: their content ids, for walks.ts to find the copies.
SELECT content_id
FROM a_digests
WHERE copies > 1
QUALIFY rank() OVER (ORDER BY (copies - 1) * size DESC) <= {{top}};
