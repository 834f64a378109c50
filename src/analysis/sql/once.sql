-- Views that keep each row of a layer stored more than once (shards or reruns that read the same layer)
-- exactly once. Only the rows of those layers go through DISTINCT; entries.sql reads these views instead of
-- the dataset views when a_layers_twice is not empty.

CREATE OR REPLACE VIEW a_files_once AS
SELECT * FROM files WHERE layer_digest NOT IN (SELECT layer_digest FROM a_layers_twice)
UNION ALL
SELECT DISTINCT ON (layer_digest, entry_index) * FROM files WHERE layer_digest IN (SELECT layer_digest FROM a_layers_twice);

CREATE OR REPLACE VIEW a_chunks_once AS
SELECT * FROM chunks WHERE layer_digest NOT IN (SELECT layer_digest FROM a_layers_twice)
UNION ALL
SELECT DISTINCT ON (layer_digest, chunker, entry_index, chunk_index) * FROM chunks WHERE layer_digest IN (SELECT layer_digest FROM a_layers_twice);
