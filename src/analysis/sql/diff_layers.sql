-- `imgscan diff`: the layer refs of the two images {{a}} and {{b}} (image_ids), bottom to top, with the sizes of
-- the layers that were read (tar_size is NULL for a layer never read).
SELECT il.image_id, il.position, il.layer_digest, il.compressed_size, il.layer_id, l.tar_size
FROM a_image_layers il LEFT JOIN a_layers l USING (layer_id)
WHERE il.image_id IN ({{a}}, {{b}})
ORDER BY il.image_id, il.position;
