/**
 * Parses the request URI of a registry trace record (OCI distribution / Docker registry v2 API) into the
 * repository, the kind of object and its reference, in SQL: ingest runs these DuckDB macros over every record.
 *
 *   v2/<name>/manifests/<reference>        endpoint manifest     kind manifest   reference = tag or digest
 *   v2/<name>/blobs/<digest>               endpoint blob         kind blob       reference = digest
 *   v2/<name>/blobs/uploads/[<uuid>]       endpoint blob_upload  kind blob       reference = ?digest= if given
 *   v2/<name>/tags/list                    endpoint tags_list    kind other
 *   v2/_catalog                            endpoint catalog      kind other
 *   v2/                                    endpoint base         kind other
 *
 * A repository name may have several components (`v2/64431afe/eec8974d/blobs/793c8a2b` is repository
 * `64431afe/eec8974d`): the last marker decides. A leading `/`, a scheme and host, a fragment and a query string
 * are accepted.
 */
export type Endpoint = 'manifest' | 'blob' | 'blob_upload' | 'tags_list' | 'catalog' | 'base' | 'other';
export type Kind = 'manifest' | 'blob' | 'other';

export interface ParsedUri {
  endpoint: Endpoint;
  kind: Kind;
  repository: string | null;
  reference: string | null;
  /**
   * The cache key of the object: blobs are content-addressed (`blob:<digest>`, the same in every repository);
   * manifests are named (`manifest:<repository>:<reference>`). null for other endpoints and unnamed uploads.
   */
  object_key: string | null;
}

/** The patterns of the named endpoints, tried in this order; group 1 is the repository, group 2 the reference. */
const patterns: [Endpoint, string][] = [
  ['manifest', '^v2/(.+)/manifests/([^/]+)$'],
  ['blob_upload', '^v2/(.+)/blobs/uploads(?:/([^/]*))?$'],
  ['blob', '^v2/(.+)/blobs/([^/]+)$'],
  ['tags_list', '^v2/(.+)/tags/list$'],
];

const pattern = (e: Endpoint) => patterns.find(([p]) => p === e)![1];

/** JavaScript's String.prototype.trim: spaces, tabs, line ends, no-break space and the byte order mark. */
const trimChars = `' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(65279)`;

/**
 * DuckDB macros: `trace_trim(s)`; `trace_uri_path(uri)` and `trace_uri_query(uri)` (the path without scheme, host,
 * leading slashes, fragment and query; the query); `trace_uri(path, query)`, a struct of the ParsedUri fields.
 */
export const uriMacros = `
CREATE OR REPLACE TEMP MACRO trace_trim(s) AS trim(s, ${trimChars});
CREATE OR REPLACE TEMP MACRO trace_uri_bare(uri) AS
  split_part(regexp_replace(trace_trim(uri), '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*', ''), '#', 1);
CREATE OR REPLACE TEMP MACRO trace_uri_path(uri) AS ltrim(split_part(trace_uri_bare(uri), '?', 1), '/');
CREATE OR REPLACE TEMP MACRO trace_uri_query(uri) AS
  CASE WHEN strpos(trace_uri_bare(uri), '?') > 0 THEN substr(trace_uri_bare(uri), strpos(trace_uri_bare(uri), '?') + 1) ELSE '' END;
CREATE OR REPLACE TEMP MACRO trace_url_part(s) AS url_decode(replace(s, '+', ' '));
CREATE OR REPLACE TEMP MACRO trace_query_param(query, name) AS
  list_transform(
    list_filter(string_split(query, '&'), x -> trace_url_part(split_part(x, '=', 1)) = name),
    x -> CASE WHEN strpos(x, '=') > 0 THEN trace_url_part(substr(x, strpos(x, '=') + 1)) ELSE '' END)[1];
CREATE OR REPLACE TEMP MACRO trace_uri_endpoint(path) AS CASE
  WHEN path IN ('v2', 'v2/') THEN 'base'
  WHEN path = 'v2/_catalog' THEN 'catalog'
  ${patterns.map(([e, p]) => `WHEN regexp_matches(path, '${p}') THEN '${e}'`).join('\n  ')}
  ELSE 'other' END;
CREATE OR REPLACE TEMP MACRO trace_uri_repository(path, endpoint) AS CASE endpoint
  ${patterns.map(([e, p]) => `WHEN '${e}' THEN rtrim(regexp_extract(path, '${p}', 1), '/')`).join('\n  ')}
  END;
CREATE OR REPLACE TEMP MACRO trace_uri_reference(path, query, endpoint) AS CASE endpoint
  WHEN 'manifest' THEN regexp_extract(path, '${pattern('manifest')}', 2)
  WHEN 'blob' THEN regexp_extract(path, '${pattern('blob')}', 2)
  WHEN 'blob_upload' THEN trace_query_param(query, 'digest')
  END;
CREATE OR REPLACE TEMP MACRO trace_uri_parts(endpoint, repository, reference) AS {
  endpoint: endpoint,
  kind: CASE endpoint WHEN 'manifest' THEN 'manifest' WHEN 'blob' THEN 'blob' WHEN 'blob_upload' THEN 'blob' ELSE 'other' END,
  repository: repository,
  reference: reference,
  object_key: CASE
    WHEN endpoint = 'manifest' THEN 'manifest:' || repository || ':' || reference
    WHEN endpoint IN ('blob', 'blob_upload') AND reference <> '' THEN 'blob:' || reference
    END
};
CREATE OR REPLACE TEMP MACRO trace_uri_of(path, query, endpoint) AS
  trace_uri_parts(endpoint, trace_uri_repository(path, endpoint), trace_uri_reference(path, query, endpoint));
CREATE OR REPLACE TEMP MACRO trace_uri(uri) AS
  trace_uri_of(trace_uri_path(uri), trace_uri_query(uri), trace_uri_endpoint(trace_uri_path(uri)));
`;
