-- `imgscan diff`: every entry of the layers {{layers}} (layer_ids), in tar order, with what the final
-- filesystem needs of it. A layer stored more than once gives its entries once.
SELECT l.layer_id, f.entry_index, f.path, f.entry_type, f.size, f.digest, f.mode, f.uid, f.gid, f.link_target
FROM (SELECT DISTINCT ON (layer_digest, entry_index) * FROM files) f
JOIN a_layers l USING (layer_digest)
WHERE l.layer_id IN ({{layers}})
ORDER BY l.layer_id, f.entry_index;
