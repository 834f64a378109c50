import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { blobPath, inspectRaw, listTags, sha256sum, startRegistry, storedRepositories, type TestRegistry } from '../../support/registry.js';
import { pushFixture, sha256, type Fixture } from './fixture.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let registry: TestRegistry;
let proxy: FaultProxy;
let fixture: Fixture;

beforeAll(async () => {
  registry = await startRegistry();
  fixture = await pushFixture(registry);
  proxy = await startFaultProxy(registry.url);
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  await fixture?.cleanup();
});

describe('RegistryClient against a real distribution registry', () => {
  it('pings /v2/', async () => {
    const client = new RegistryClient(registry.host);
    expect(await client.ping()).toEqual({ status: 200, apiVersion: 'registry/2.0' });
  });

  it('lists every repository through more than one catalog page', async () => {
    const client = new RegistryClient(proxy.host, { pageSize: 2 });
    proxy.requests.length = 0;
    const listed: string[] = [];
    for await (const r of client.catalog()) listed.push(r);
    const stored = await storedRepositories(registry);
    expect(stored.length).toBeGreaterThan(4);
    expect([...listed].sort()).toEqual(stored);
    const pages = proxy.requests.filter((r) => r.startsWith('GET /v2/_catalog'));
    expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(stored.length / 2));
    expect(pages.slice(1).every((p) => p.includes('last='))).toBe(true);
  });

  it('lists a namespace as the catalog filtered by prefix', async () => {
    const client = new RegistryClient(proxy.host, { pageSize: 2 });
    const listed: string[] = [];
    for await (const r of client.repositories('alpha')) listed.push(r);
    expect(listed.sort()).toEqual((await storedRepositories(registry)).filter((r) => r.startsWith('alpha/')));
  });

  it('follows tag list pagination', async () => {
    proxy.tagPageSize = 3;
    proxy.requests.length = 0;
    try {
      const client = new RegistryClient(proxy.host);
      const listed: string[] = [];
      for await (const t of client.tags('tags/many')) listed.push(t);
      expect(listed).toEqual((await listTags(`${registry.host}/tags/many`)).sort());
      expect(proxy.requests.filter((r) => r.includes('/tags/list')).length).toBe(3);
    } finally {
      proxy.tagPageSize = 0;
    }
  });

  for (const repo of ['oci/app', 'docker/app', 'zstd/app']) {
    it(`fetches ${repo} by tag and by digest, bytes and digest as skopeo sees them`, async () => {
      const client = new RegistryClient(registry.host);
      const raw = await inspectRaw(`${registry.host}/${repo}:1`);
      const byTag = await client.manifest(repo, '1');
      expect(byTag.bytes.equals(raw)).toBe(true);
      expect(byTag.digest).toBe(sha256(raw));
      // skopeo writes OCI manifests without a mediaType field: the registry's Content-Type names it then.
      const head = await fetch(`${registry.url}/v2/${repo}/manifests/1`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
      expect(byTag.mediaType).toBe((JSON.parse(raw.toString()) as { mediaType?: string }).mediaType ?? head.headers.get('content-type'));
      const byDigest = await client.manifest(repo, byTag.digest);
      expect(byDigest.bytes.equals(raw)).toBe(true);
    });
  }

  it('reads Docker v2s2 and OCI media types, gzip and zstd layers, verified against the registry files', async () => {
    const client = new RegistryClient(registry.host);
    const seen = new Set<string>();
    for (const repo of ['oci/app', 'docker/app', 'zstd/app']) {
      const m = await client.manifest(repo, '1');
      if (m.document.kind !== 'manifest') throw new Error('expected a manifest');
      for (const layer of m.document.manifest.layers) {
        seen.add(layer.mediaType);
        const bytes = await readAll(await client.openBlob(repo, layer));
        const file = blobPath(registry, layer.digest);
        expect(sha256(bytes)).toBe(await sha256sum(file));
        expect(bytes.equals(await readFile(file))).toBe(true);
        const magic = bytes.subarray(0, 4).toString('hex');
        expect(magic).toMatch(layer.mediaType.endsWith('zstd') ? /^28b52ffd$/ : /^1f8b/);
      }
      const config = await client.blob(repo, m.document.manifest.config);
      expect(sha256(config)).toBe(await sha256sum(blobPath(registry, m.document.manifest.config.digest)));
    }
    expect([...seen].sort()).toEqual([
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
      'application/vnd.oci.image.layer.v1.tar+gzip',
      'application/vnd.oci.image.layer.v1.tar+zstd',
    ]);
  });

  it('fetches the hand-made index with its two platforms', async () => {
    const client = new RegistryClient(registry.host);
    const index = await client.manifest('multi/app', 'latest');
    expect(index.bytes.equals(fixture.indexBytes)).toBe(true);
    expect(index.digest).toBe(sha256(await inspectRaw(`${registry.host}/multi/app:latest`)));
    if (index.document.kind !== 'index') throw new Error('expected an index');
    expect(index.document.index.manifests.map((m) => m.platform?.architecture)).toEqual(['amd64', 'arm64']);
  });

  it('refuses manifest bytes that do not match the requested digest or Docker-Content-Digest', async () => {
    const client = new RegistryClient(proxy.host);
    const good = await client.manifest('oci/app', '1');
    proxy.tamperManifests = true;
    try {
      await expect(client.manifest('oci/app', good.digest)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      await expect(client.manifest('oci/app', '1')).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      proxy.stripContentDigest = true;
      // By tag and without the header nothing names the expected digest: the bytes' digest is the identity.
      const tampered = await client.manifest('oci/app', '1');
      expect(tampered.digest).toBe(sha256(Buffer.concat([good.bytes, Buffer.from(' ')])));
    } finally {
      proxy.tamperManifests = false;
      proxy.stripContentDigest = false;
    }
  });

  it('answers NOT_FOUND with the registry error code and the URL', async () => {
    const client = new RegistryClient(registry.host);
    const err = await client.manifest('oci/app', 'nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImgscanError);
    expect((err as ImgscanError).code).toBe('NOT_FOUND');
    expect((err as ImgscanError).message).toContain('MANIFEST_UNKNOWN');
    expect((err as ImgscanError).context.url).toBe(`http://${registry.host}/v2/oci/app/manifests/nope`);
  });
});
