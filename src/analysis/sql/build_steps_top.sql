-- The build instructions with the most layer bytes (over unique layers: a layer made by one instruction in many
-- images counts once) or the most content or path waste (over layer refs, in the layer holding the wasted copy),
-- {{top}} of each, by {{order}}.
WITH layer_bytes AS (
  SELECT instruction, count(*)::BIGINT AS layers, sum(compressed_size)::BIGINT AS compressed_size, coalesce(sum(tar_size), 0)::BIGINT AS tar_size
  FROM (SELECT DISTINCT s.instruction, s.layer_digest, s.compressed_size, l.tar_size FROM a_steps s LEFT JOIN a_layers l USING (layer_id))
  GROUP BY instruction
),
refs AS (
  SELECT s.instruction, count(DISTINCT s.image_id)::BIGINT AS images, coalesce(sum(w.content_waste), 0)::BIGINT AS content_waste,
    coalesce(sum(p.path_waste), 0)::BIGINT AS path_waste
  FROM a_steps s LEFT JOIN a_content_waste_layers w USING (image_id, position) LEFT JOIN a_path_waste_layers p USING (image_id, position)
  GROUP BY s.instruction
)
SELECT r.instruction, r.images, b.layers, b.compressed_size, b.tar_size, r.content_waste, r.path_waste
FROM refs r JOIN layer_bytes b USING (instruction)
ORDER BY {{order}} DESC, r.instruction
LIMIT {{top}};
