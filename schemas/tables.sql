-- imgscan dataset: one table per directory under the data dir, stored as Parquet parts
-- (DATA/<table>/<batch>.parquet) and read back with a glob. Names follow docs/metrics.md.
-- Every statement is one table; src/store reads this file to create its staging tables.

-- One single-platform image manifest, identified by its digest.
CREATE TABLE images (
  manifest_digest   VARCHAR NOT NULL,  -- digest of the manifest bytes
  media_type        VARCHAR NOT NULL,  -- manifest media type as served
  config_digest     VARCHAR NOT NULL,
  os                VARCHAR,
  architecture      VARCHAR,
  variant           VARCHAR,
  created           TIMESTAMP,         -- from the image config, UTC
  layer_count       INTEGER NOT NULL,  -- entries of the manifest's layers
  schema1_converted BOOLEAN NOT NULL   -- true when converted from Docker schema 1
);

-- A (registry, repository, tag) that resolved to an image. tag is NULL when reached by digest.
CREATE TABLE image_refs (
  registry          VARCHAR NOT NULL,  -- registry host, or the local source kind (oci, docker-archive, docker-daemon)
  repository        VARCHAR NOT NULL,  -- repository, or the local path of a layout or archive
  tag               VARCHAR,
  manifest_digest   VARCHAR NOT NULL,
  index_digest      VARCHAR            -- the index / manifest list the image was selected from, if any
);

-- The layers of an image in order: one row per layer ref (image, position).
CREATE TABLE image_layers (
  manifest_digest   VARCHAR NOT NULL,
  position          INTEGER NOT NULL,  -- 0 = base layer
  layer_digest      VARCHAR NOT NULL,  -- compressed digest, as in the manifest
  diff_id           VARCHAR,           -- from the image config's rootfs.diff_ids
  media_type        VARCHAR NOT NULL,
  compressed_size   BIGINT NOT NULL    -- from the manifest descriptor
);

-- The build steps of an image: one row per entry of its config's history, in order. The n-th step that is
-- not an empty_layer made the layer at position n, when the image has as many such steps as layers; position is
-- NULL for an empty step, and for every step of an image whose history does not line up with its layers.
CREATE TABLE image_history (
  manifest_digest   VARCHAR NOT NULL,
  step              INTEGER NOT NULL,  -- 0 = first entry of the history
  created           TIMESTAMP,
  created_by        VARCHAR,           -- the build instruction, as the builder wrote it
  comment           VARCHAR,
  empty_layer       BOOLEAN NOT NULL,
  position          INTEGER            -- the layer (image_layers.position) the step made
);

-- One unique layer blob, read once per dataset.
CREATE TABLE layers (
  layer_digest      VARCHAR NOT NULL,  -- compressed digest, verified while reading
  diff_id           VARCHAR NOT NULL,  -- sha256 of the decompressed stream
  compression       VARCHAR NOT NULL,  -- gzip | zstd | none, sniffed from the magic bytes
  compressed_size   BIGINT NOT NULL,   -- bytes of the blob
  tar_size          BIGINT NOT NULL,   -- bytes of the decompressed stream
  files_size        BIGINT NOT NULL,   -- sum of the sizes of entries of type file
  sparse_hole_size  BIGINT NOT NULL,   -- holes of GNU sparse files: in files_size, not stored in the tar
  entry_count       INTEGER NOT NULL,
  file_count        INTEGER NOT NULL,
  dir_count         INTEGER NOT NULL,
  symlink_count     INTEGER NOT NULL,
  hardlink_count    INTEGER NOT NULL,
  char_count        INTEGER NOT NULL,
  block_count       INTEGER NOT NULL,
  fifo_count        INTEGER NOT NULL,
  whiteout_count    INTEGER NOT NULL,
  opaque_count      INTEGER NOT NULL,
  chunker           VARCHAR,           -- the chunkers run on its files, comma-separated in the order given
                                       -- (e.g. fastcdc-16384-4096-65536,fixed-1048576), else NULL
  sample_rate       DOUBLE,            -- rate of the compression sample taken of its file contents, NULL when none
  metadata_gzip_size BIGINT,           -- in the compression sample only: the layer's metadata (the tar but its file
                                       -- contents) compressed with gzip -6, one member per 4 MiB piece; else NULL
  metadata_zstd_size BIGINT            -- the same with zstd -3
);

-- Every tar entry of every unique layer (entry_type says which; docs/metrics.md: a "file" is entry_type 'file').
CREATE TABLE files (
  layer_digest      VARCHAR NOT NULL,
  entry_index       INTEGER NOT NULL,  -- position of the entry in the layer's tar, from 0
  path              VARCHAR NOT NULL,  -- normalized: no leading "./" or "/", no trailing "/"; the name's bytes as UTF-8,
                                       -- a backslash as \\ and a byte that is not valid UTF-8 as \xNN (two names, two paths)
  entry_type        VARCHAR NOT NULL,  -- file | dir | symlink | hardlink | char | block | fifo | whiteout | opaque | other
                                       -- (other: a GNU volume label; counted in entry_count only)
  size              BIGINT NOT NULL,   -- content bytes (0 for all but files)
  digest            VARCHAR,           -- BLAKE3-256 of the content, lowercase hex (files only)
  file_class        VARCHAR,           -- elf | script | archive | python-bytecode | sqlite | image | text | empty | other
  mode              INTEGER NOT NULL,  -- permission bits and set-id bits
  uid               BIGINT NOT NULL,
  gid               BIGINT NOT NULL,
  mtime             DOUBLE NOT NULL,   -- seconds since the epoch (PAX may give fractions)
  link_target       VARCHAR,           -- symlink target or hardlink source path
  dev_major         INTEGER,
  dev_minor         INTEGER,
  gzip_size         BIGINT,            -- in the compression sample only (docs/metrics.md): bytes of the content
                                       -- compressed with gzip -6, one member per 4 MiB piece; else NULL
  zstd_size         BIGINT,            -- the same with zstd -3, one frame per 4 MiB piece
  -- The content's 128-bit key (files only): bytes 0-7 and 8-15 of the digest as unsigned big-endian integers.
  -- Analyses group and join contents on these integers instead of reading and hashing the 64-character digest.
  -- (A digest that is not 64 lowercase hex digits, which the scan never writes, is keyed by two hashes of it.)
  content_key1      UBIGINT GENERATED ALWAYS AS (CASE WHEN digest IS NULL THEN NULL
                      WHEN regexp_full_match(digest, '[0-9a-f]{64}') THEN ('0x' || digest[1:16])::UBIGINT ELSE hash(digest) END),
  content_key2      UBIGINT GENERATED ALWAYS AS (CASE WHEN digest IS NULL THEN NULL
                      WHEN regexp_full_match(digest, '[0-9a-f]{64}') THEN ('0x' || digest[17:32])::UBIGINT ELSE hash(reverse(digest)) END)
);

-- Chunks of file contents, one row per chunk per chunker (written only when chunking is enabled).
CREATE TABLE chunks (
  layer_digest      VARCHAR NOT NULL,
  entry_index       INTEGER NOT NULL,
  chunk_index       INTEGER NOT NULL,  -- 0, 1, ... within the file, per chunker
  digest            VARCHAR NOT NULL,  -- BLAKE3-256 of the chunk, lowercase hex
  size              INTEGER NOT NULL,
  chunker           VARCHAR,           -- the chunker that cut it, one of layers.chunker; NULL in datasets
                                       -- written before several chunkers could run (layers.chunker names it)
  gzip_size         INTEGER,           -- in the compression sample only: the chunk compressed with gzip -6, else NULL
  zstd_size         INTEGER            -- the same with zstd -3
);

-- A repository, image or layer that could not be read, and why. The crawl goes on past these.
CREATE TABLE failures (
  scope             VARCHAR NOT NULL,  -- repository | image | layer | source
  target            VARCHAR NOT NULL,  -- what failed, e.g. the image name or the layer digest
  image             VARCHAR,
  layer_digest      VARCHAR,
  code              VARCHAR NOT NULL,  -- stable error code
  message           VARCHAR NOT NULL,
  failed_at         TIMESTAMP NOT NULL
);
