import { describe, expect, it } from 'vitest';
import { formatRegistryRef, parseRef, registryApiHost, splitOciSpec, type OciLayoutRef } from '../../../src/ref/ref.js';
import { ImgscanError } from '../../../src/errors.js';

const digest = `sha256:${'ab'.repeat(32)}`;

describe('parseRef: local forms', () => {
  it.each([
    ['oci:./layout', { kind: 'oci', path: './layout', tag: undefined, spec: './layout' }],
    ['oci:/abs/layout:1.0', { kind: 'oci', path: '/abs/layout', tag: '1.0', spec: '/abs/layout:1.0' }],
    ['oci:layout:latest', { kind: 'oci', path: 'layout', tag: 'latest', spec: 'layout:latest' }],
    ['oci:/a/b:c/d', { kind: 'oci', path: '/a/b:c/d', tag: undefined, spec: '/a/b:c/d' }],
    ['docker-archive:/tmp/img.tar', { kind: 'docker-archive', path: '/tmp/img.tar' }],
    ['docker-daemon:alpine:3.19', { kind: 'docker-daemon', image: 'alpine:3.19' }],
    ['docker-daemon:', { kind: 'docker-daemon', image: '' }],
  ])('%s', (input, expected) => {
    expect(parseRef(input)).toEqual(expected);
  });
});

describe('splitOciSpec: a path and a tag may both hold colons; the layouts on disk decide', () => {
  const split = (input: string, layouts: string[]) => splitOciSpec(parseRef(input) as OciLayoutRef, (p) => layouts.includes(p));
  it.each([
    // skopeo's form: the ref name after the first colon may hold colons and slashes.
    ['oci:dir:nginx:latest', ['dir'], { path: 'dir', tag: 'nginx:latest' }],
    ['oci:dir:docker.io/library/nginx:1.25', ['dir'], { path: 'dir', tag: 'docker.io/library/nginx:1.25' }],
    // A layout whose path holds a colon, with or without a tag.
    ['oci:/data/a:b:1.0', ['/data/a:b'], { path: '/data/a:b', tag: '1.0' }],
    ['oci:/data/a:b', ['/data/a:b'], { path: '/data/a:b', tag: undefined }],
    ['oci:layout:latest', ['layout'], { path: 'layout', tag: 'latest' }],
    // No layout found: the parsed split stands (the source then says there is no layout there).
    ['oci:nowhere:1.0', [], { path: 'nowhere', tag: '1.0' }],
  ])('%s', (input, layouts, expected) => expect(split(input, layouts)).toEqual(expected));
});

describe('parseRef: registry forms', () => {
  it.each([
    ['alpine', 'docker.io', 'alpine', 'library/alpine', 'latest', undefined, true],
    ['alpine:3.19', 'docker.io', 'alpine', 'library/alpine', '3.19', undefined, false],
    ['docker.io/alpine', 'docker.io', 'alpine', 'library/alpine', 'latest', undefined, true],
    ['index.docker.io/library/alpine:edge', 'docker.io', 'library/alpine', 'library/alpine', 'edge', undefined, false],
    ['docker://bitnami/redis:7', 'docker.io', 'bitnami/redis', 'bitnami/redis', '7', undefined, false],
    ['ghcr.io/org/tool', 'ghcr.io', 'org/tool', 'org/tool', 'latest', undefined, true],
    ['quay.io/org/repo@' + digest, 'quay.io', 'org/repo', 'org/repo', undefined, digest, false],
    ['localhost:5000/repo:tag', 'localhost:5000', 'repo', 'repo', 'tag', undefined, false],
    ['localhost/repo', 'localhost', 'repo', 'repo', 'latest', undefined, true],
    ['127.0.0.1:5000/a/b/c:v1@' + digest, '127.0.0.1:5000', 'a/b/c', 'a/b/c', 'v1', digest, false],
    ['harbor.example.com:8443/proj/app', 'harbor.example.com:8443', 'proj/app', 'proj/app', 'latest', undefined, true],
  ])('%s', (input, registry, path, repository, tag, dig, defaultedTag) => {
    const ref = parseRef(input);
    expect(ref).toMatchObject({ kind: 'registry', registry, path, repository, tag, digest: dig, defaultedTag });
  });

  it.each([
    ['localhost:5000', 'localhost:5000'],
    ['registry.example.com', 'registry.example.com'],
    ['docker.io', 'docker.io'],
  ])('a bare host %s names a whole registry', (input, registry) => {
    expect(parseRef(input)).toMatchObject({ kind: 'registry', registry, path: '', repository: '', tag: undefined, digest: undefined });
  });

  it('formats back and maps Docker Hub to its API host', () => {
    expect(formatRegistryRef(parseRef('alpine') as never)).toBe('docker.io/library/alpine:latest');
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('localhost:5000')).toBe('localhost:5000');
  });
});

describe('parseRef: rejects unknown and malformed forms', () => {
  it.each(['', 'oci:', 'docker-archive:', 'oci-archive:/x/y.tar', 's3://bucket/key', 'Upper/Case', 'repo@sha256:xyz', 'repo:bad tag', 'host:5000/re po'])(
    '%j',
    (input) => {
      let err: unknown;
      try {
        parseRef(input);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ImgscanError);
      expect((err as ImgscanError).code).toBe('REF_INVALID');
      expect((err as ImgscanError).message).toContain('oci:PATH[:TAG]');
      expect((err as ImgscanError).message).toContain('docker-archive:PATH');
    },
  );
});
