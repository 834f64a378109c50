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

/** JavaScript's String.prototype.trim: spaces, tabs, line ends, no-break space and the byte order mark. */
const trimChars = `' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(65279)`;
const trimList = `' ', chr(9), chr(10), chr(11), chr(12), chr(13), chr(160), chr(65279)`;

/**
 * DuckDB macros, each meant to be computed once per record in its own step (ingest does; `trace_uri(uri)` chains
 * them for one URI):
 *
 * - `trace_trim(s)`: JavaScript's trim; a string that neither starts nor ends with such a character is itself.
 * - `trace_uri_bare(uri)`: the URI trimmed, without scheme and host, and without fragment;
 *   `trace_uri_unhosted(trimmed)` the same from the trimmed URI.
 * - `trace_uri_path(bare)`, `trace_uri_query(bare)`: the path without leading slashes; the query string.
 * - `trace_uri_split(path)`: for `v2/<r>/<mid>/<tail>`, the struct {r, mid, tail}: `r` takes all it can (the
 *   last marker decides) and holds at least one character, no line break; empty strings when the path is not so.
 *   `mid` and `tail` are the path's last two segments, so `trace_uri_split_of(path, tail, mid)` takes them
 *   (`split_part` from the end, once per record) and cuts `r` by length: string functions, no regular expression
 *   (the test holds it equal to `^v2/(.+)/([^/]+)/([^/]*)$` on generated paths).
 * - `trace_uri_endpoint(path, split)`: the endpoint, the first of manifest, blob_upload, blob, tags_list whose
 *   form the path has (`v2/<name>/manifests/<ref>`; `v2/<name>/blobs/uploads[/<uuid>]`; `v2/<name>/blobs/<digest>`;
 *   `v2/<name>/tags/list`), else base, catalog or other.
 * - `trace_uri_repository(split, endpoint)`, `trace_uri_reference(split, query, endpoint)`, then
 *   `trace_uri_parts(endpoint, repository, reference)`: the struct of the ParsedUri fields (`trace_uri_of` in one).
 * - `trace_uri(uri)`: all of it for one URI, each step's value bound once by a lambda over a list of one (a
 *   macro repeats its argument wherever its body names it: nested calls would multiply the work).
 */
export const uriMacros = `
CREATE OR REPLACE TEMP MACRO trace_trim(s) AS CASE WHEN left(s, 1) IN (${trimList}) OR right(s, 1) IN (${trimList}) THEN trim(s, ${trimChars}) ELSE s END;
CREATE OR REPLACE TEMP MACRO trace_uri_unhosted(t) AS
  split_part(CASE WHEN contains(t, '://') THEN regexp_replace(t, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*', '') ELSE t END, '#', 1);
CREATE OR REPLACE TEMP MACRO trace_uri_bare(uri) AS trace_uri_unhosted(trace_trim(uri));
CREATE OR REPLACE TEMP MACRO trace_uri_path(bare) AS ltrim(split_part(bare, '?', 1), '/');
CREATE OR REPLACE TEMP MACRO trace_uri_query(bare) AS CASE WHEN strpos(bare, '?') > 0 THEN substr(bare, strpos(bare, '?') + 1) ELSE '' END;
CREATE OR REPLACE TEMP MACRO trace_uri_split_of(path, tail, mid) AS CASE WHEN path IS NULL THEN NULL
  WHEN starts_with(path, 'v2/') AND mid <> '' AND length(path) - length(tail) - length(mid) - 5 >= 1
    AND strpos(substr(path, 4, length(path) - length(tail) - length(mid) - 5), chr(10)) = 0
  THEN {r: substr(path, 4, length(path) - length(tail) - length(mid) - 5), mid: mid, tail: tail}
  ELSE {r: '', mid: '', tail: ''} END;
CREATE OR REPLACE TEMP MACRO trace_uri_split(path) AS trace_uri_split_of(path, split_part(path, '/', -1), split_part(path, '/', -2));
CREATE OR REPLACE TEMP MACRO trace_uri_endpoint(path, m) AS CASE
  WHEN path IN ('v2', 'v2/') THEN 'base'
  WHEN path = 'v2/_catalog' THEN 'catalog'
  WHEN m.mid = 'manifests' AND m.tail <> '' THEN 'manifest'
  WHEN (m.mid = 'blobs' AND m.tail = 'uploads') OR (m.mid = 'uploads' AND m.r LIKE '_%/blobs') THEN 'blob_upload'
  WHEN m.mid = 'blobs' AND m.tail <> '' THEN 'blob'
  WHEN m.mid = 'tags' AND m.tail = 'list' THEN 'tags_list'
  ELSE 'other' END;
CREATE OR REPLACE TEMP MACRO trace_url_part(s) AS url_decode(replace(s, '+', ' '));
CREATE OR REPLACE TEMP MACRO trace_query_param(query, name) AS
  list_transform(
    list_filter(string_split(query, '&'), x -> trace_url_part(split_part(x, '=', 1)) = name),
    x -> CASE WHEN strpos(x, '=') > 0 THEN trace_url_part(substr(x, strpos(x, '=') + 1)) ELSE '' END)[1];
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
CREATE OR REPLACE TEMP MACRO trace_uri_repository(m, endpoint) AS
  CASE WHEN endpoint IN ('manifest', 'blob', 'tags_list') OR (endpoint = 'blob_upload' AND m.mid = 'blobs') THEN rtrim(m.r, '/')
       WHEN endpoint = 'blob_upload' THEN rtrim(left(m.r, length(m.r) - 6), '/') END;
CREATE OR REPLACE TEMP MACRO trace_uri_reference(m, query, endpoint) AS
  CASE WHEN endpoint IN ('manifest', 'blob') THEN m.tail WHEN endpoint = 'blob_upload' THEN trace_query_param(query, 'digest') END;
CREATE OR REPLACE TEMP MACRO trace_uri_of(m, query, endpoint) AS
  trace_uri_parts(endpoint, trace_uri_repository(m, endpoint), trace_uri_reference(m, query, endpoint));
CREATE OR REPLACE TEMP MACRO trace_uri(uri) AS list_transform([trace_uri_bare(uri)], b ->
  list_transform([trace_uri_path(b)], p ->
    list_transform([trace_uri_split(p)], m ->
      list_transform([trace_uri_endpoint(p, m)], e -> trace_uri_of(m, trace_uri_query(b), e))[1])[1])[1])[1];
`;
