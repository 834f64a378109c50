import { describe, expect, it } from 'vitest';
import { parseUris } from './ingested.js';

const parseUri = async (uri: string) => (await parseUris([uri]))[0];

describe('request URI parser (the SQL macro ingest runs)', () => {
  it.each([
    // uri, endpoint, kind, repository, reference, object_key
    ['v2/64431afe/eec8974d/blobs/793c8a2b', 'blob', 'blob', '64431afe/eec8974d', '793c8a2b', 'blob:793c8a2b'],
    ['v2/4715bf52/437c49db/blobs/93054319', 'blob', 'blob', '4715bf52/437c49db', '93054319', 'blob:93054319'],
    ['/v2/library/ubuntu/blobs/sha256:abc', 'blob', 'blob', 'library/ubuntu', 'sha256:abc', 'blob:sha256:abc'],
    ['v2/a/b/c/d/manifests/latest', 'manifest', 'manifest', 'a/b/c/d', 'latest', 'manifest:a/b/c/d:latest'],
    ['v2/alpine/manifests/sha256:0123', 'manifest', 'manifest', 'alpine', 'sha256:0123', 'manifest:alpine:sha256:0123'],
    ['https://registry.example:5000/v2/x/y/manifests/1.0?ns=1', 'manifest', 'manifest', 'x/y', '1.0', 'manifest:x/y:1.0'],
    ['v2/x/blobs/uploads/', 'blob_upload', 'blob', 'x', null, null],
    ['v2/x/y/blobs/uploads/5a1c-uuid?digest=sha256%3Aabc&_state=q', 'blob_upload', 'blob', 'x/y', 'sha256:abc', 'blob:sha256:abc'],
    ['v2/x/y/tags/list', 'tags_list', 'other', 'x/y', null, null],
    ['v2/x/y/tags/list?n=10', 'tags_list', 'other', 'x/y', null, null],
    ['v2/_catalog', 'catalog', 'other', null, null, null],
    ['v2/', 'base', 'other', null, null, null],
    ['/v2', 'base', 'other', null, null, null],
    ['v1/search?q=x', 'other', 'other', null, null, null],
    ['v2/x/y/referrers/sha256:1', 'other', 'other', null, null, null],
    // A repository component may itself be called "blobs" or "manifests": the last marker decides.
    ['v2/team/blobs/app/blobs/d1', 'blob', 'blob', 'team/blobs/app', 'd1', 'blob:d1'],
    ['v2/manifests/x/manifests/t', 'manifest', 'manifest', 'manifests/x', 't', 'manifest:manifests/x:t'],
  ])('%s', async (uri, endpoint, kind, repository, reference, objectKey) => {
    expect(await parseUri(uri)).toEqual({ endpoint, kind, repository, reference, object_key: objectKey });
  });

  it('gives a blob the same cache key in every repository, and manifests a per-repository key', async () => {
    const [a, b, c, d] = await parseUris(['v2/a/x/blobs/d', 'v2/b/y/blobs/d', 'v2/a/x/manifests/t', 'v2/b/y/manifests/t']);
    expect(a.object_key).toBe(b.object_key);
    expect(c.object_key).not.toBe(d.object_key);
  });
});
