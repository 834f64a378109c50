/**
 * Parses the request URI of a registry trace record (OCI distribution / Docker registry v2 API) into the
 * repository, the kind of object and its reference.
 *
 *   v2/<name>/manifests/<reference>        endpoint manifest     kind manifest   reference = tag or digest
 *   v2/<name>/blobs/<digest>               endpoint blob         kind blob       reference = digest
 *   v2/<name>/blobs/uploads/[<uuid>]       endpoint blob_upload  kind blob       reference = ?digest= if given
 *   v2/<name>/tags/list                    endpoint tags_list    kind other
 *   v2/_catalog                            endpoint catalog      kind other
 *   v2/                                    endpoint base         kind other
 *
 * A repository name may have several components (`v2/64431afe/eec8974d/blobs/793c8a2b` is repository
 * `64431afe/eec8974d`). A leading `/`, a scheme and host, and a query string are accepted.
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

const patterns: [RegExp, Endpoint][] = [
  [/^v2\/(.+)\/manifests\/([^/]+)$/, 'manifest'],
  [/^v2\/(.+)\/blobs\/uploads(?:\/([^/]*))?$/, 'blob_upload'],
  [/^v2\/(.+)\/blobs\/([^/]+)$/, 'blob'],
  [/^v2\/(.+)\/tags\/list$/, 'tags_list'],
];

export function parseUri(uri: string): ParsedUri {
  let path = uri.trim().replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  let query = '';
  const hash = path.indexOf('#');
  if (hash !== -1) path = path.slice(0, hash);
  const q = path.indexOf('?');
  if (q !== -1) {
    query = path.slice(q + 1);
    path = path.slice(0, q);
  }
  path = path.replace(/^\/+/, '');
  if (path === 'v2' || path === 'v2/') return other('base');
  if (path === 'v2/_catalog') return other('catalog');
  for (const [re, endpoint] of patterns) {
    const m = re.exec(path);
    if (!m) continue;
    const repository = m[1].replace(/\/+$/, '');
    switch (endpoint) {
      case 'manifest':
        return { endpoint, kind: 'manifest', repository, reference: m[2], object_key: `manifest:${repository}:${m[2]}` };
      case 'blob':
        return { endpoint, kind: 'blob', repository, reference: m[2], object_key: `blob:${m[2]}` };
      case 'blob_upload': {
        const digest = new URLSearchParams(query).get('digest');
        return { endpoint, kind: 'blob', repository, reference: digest, object_key: digest ? `blob:${digest}` : null };
      }
      default:
        return { endpoint, kind: 'other', repository, reference: null, object_key: null };
    }
  }
  return other('other');
}

function other(endpoint: Endpoint): ParsedUri {
  return { endpoint, kind: 'other', repository: null, reference: null, object_key: null };
}
