-- Runs after image_waste.sql (content waste per layer ref: a_content_waste_layers).
-- Build steps (docs/metrics.md): each layer ref of an image with the history step that made it (image_history,
-- where the steps line up with the layers), the step's instruction as written by the builder with the shell
-- prefix Docker adds (`/bin/sh -c`, `#(nop)`) taken off and runs of white space made one space.
CREATE OR REPLACE MACRO a_instruction(created_by) AS
  regexp_replace(regexp_replace(trim(coalesce(created_by, '')), '^/bin/(ba)?sh -c +(#\(nop\) *)?', ''), '\s+', ' ', 'g');

CREATE OR REPLACE TABLE a_steps AS
SELECT il.image_id, il.position, il.layer_id, il.layer_digest, il.compressed_size, a_instruction(h.created_by) AS instruction
FROM (SELECT DISTINCT ON (manifest_digest, step) * FROM image_history WHERE position IS NOT NULL) h
JOIN a_images i USING (manifest_digest)
JOIN a_image_layers il ON il.image_id = i.image_id AND il.position = h.position;
