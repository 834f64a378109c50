-- imgscan registry workload traces: one table, stored as Parquet parts under DATA/trace_requests/ and read
-- back with a glob. Written by `imgscan trace ingest`; src/trace reads this file to create its staging table.
-- Field names of the source records (FAST'18 IBM registry traces) are given beside each column.

-- One request of a registry trace.
CREATE TABLE trace_requests (
  source            VARCHAR NOT NULL,  -- the trace the record belongs to: its availability zone (e.g. prod-dal09), from --source or the file name
  file              VARCHAR NOT NULL,  -- base name of the trace file the record came from
  record_index      BIGINT NOT NULL,   -- position of the record in its file, from 0 (records skipped as invalid keep theirs)
  timestamp         TIMESTAMP NOT NULL, -- timestamp, UTC, microseconds
  method            VARCHAR NOT NULL,  -- http.request.method, upper case
  uri               VARCHAR NOT NULL,  -- http.request.uri as recorded
  endpoint          VARCHAR NOT NULL,  -- manifest | blob | blob_upload | tags_list | catalog | base | other
  kind              VARCHAR NOT NULL,  -- manifest | blob | other
  repository        VARCHAR,           -- repository name, may have several components; NULL when the URI has none
  reference         VARCHAR,           -- blob digest, or manifest tag or digest
  object_key        VARCHAR,           -- cache key: blob:<digest> (content-addressed) or manifest:<repository>:<reference>
  status            INTEGER,           -- http.response.status
  response_size     BIGINT,            -- http.response.written, bytes
  duration          DOUBLE,            -- http.request.duration, seconds
  host              VARCHAR,           -- host: the registry server that served the request
  client            VARCHAR,           -- http.request.remoteaddr
  user_agent        VARCHAR,           -- http.request.useragent
  request_id        VARCHAR            -- id
);
