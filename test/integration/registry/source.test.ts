import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImgscanError } from '../../../src/errors.js';
import { parseRef, type RegistryRef } from '../../../src/ref/ref.js';
import { RegistryClient } from '../../../src/registry/client.js';
import type { Failure } from '../../../src/model/failure.js';
import { RegistrySource, type RegistryImageRef, type RegistrySourceOptions, type SourceSkip } from '../../../src/sources/registry.js';
import type { Image } from '../../../src/sources/types.js';
import type { ImageRefRow } from '../../../src/model/rows.js';
import { sortRows } from '../../support/dataset.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { blobPath, buildLayout, inspectRaw, listTags, push, sha256sum, startRegistry, storedRepositories, type TestRegistry } from '../../support/registry.js';
import { pushFixture, sha256, type Fixture } from './fixture.js';

const run = promisify(execFile);

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function collect(ref: string, options: RegistrySourceOptions = {}) {
  const failures: Failure[] = [];
  const skips: SourceSkip[] = [];
  const source = new RegistrySource(parseRef(ref) as RegistryRef, { onFailure: (f) => failures.push(f), onSkip: (s) => skips.push(s), ...options });
  const images: Image[] = [];
  for await (const image of source.images()) images.push(image);
  await source.close();
  return { images, failures, skips };
}

/** A ref of an image as the image_refs columns name it (registry aside: one registry here). */
type Ref = Pick<ImageRefRow, 'repository' | 'tag' | 'manifest_digest' | 'index_digest'>;

const refsOf = (images: Image[]): Ref[] =>
  sortRows(images.flatMap((i) => (i.refs as RegistryImageRef[]).map((r) => ({ repository: r.repository, tag: r.tag, manifest_digest: i.digest, index_digest: r.indexDigest }))));

let registry: TestRegistry;
let fixture: Fixture;
let dir: string;
let brokenConfig: string;

/** What skopeo sees for repository:tag, every platform. */
async function expectedRefs(repository: string, tags: string[]): Promise<Ref[]> {
  const out: Ref[] = [];
  for (const tag of tags) {
    const raw = await inspectRaw(`${registry.host}/${repository}:${tag}`);
    const doc = JSON.parse(raw.toString()) as { manifests?: { digest: string }[] };
    if (doc.manifests) for (const m of doc.manifests) out.push({ repository, tag, manifest_digest: m.digest, index_digest: sha256(raw) });
    else out.push({ repository, tag, manifest_digest: sha256(raw), index_digest: null });
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgscan-source-'));
  registry = await startRegistry();
  fixture = await pushFixture(registry);
  // An image whose config blob is then removed from the registry's storage.
  const broken = await buildLayout(join(dir, 'broken'), 'x', { files: [['/etc/os-release', '/etc/broken-release']], created: '2019-01-01T00:00:00Z' });
  await push(broken, `${registry.host}/broken/app:1`, { format: 'oci' });
  const raw = JSON.parse((await inspectRaw(`${registry.host}/broken/app:1`)).toString()) as { config: { digest: string } };
  brokenConfig = raw.config.digest;
  await rm(blobPath(registry, brokenConfig));
});

afterAll(async () => {
  await registry?.stop();
  await fixture?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('RegistrySource over a real registry', () => {
  it('reads a whole registry: every repository, every tag, every platform, as skopeo sees them', async () => {
    const { images, failures } = await collect(registry.host, { tags: { kind: 'all' }, platforms: 'all', clientOptions: { pageSize: 2 } });
    const expected: Ref[] = [];
    for (const repo of await storedRepositories(registry)) {
      if (repo === 'broken/app') continue;
      expected.push(...(await expectedRefs(repo, await listTags(`${registry.host}/${repo}`))));
    }
    expect(refsOf(images)).toEqual(sortRows(expected));
    expect(failures.map((f) => [f.scope, f.target, f.error.code])).toEqual([['image', `${registry.host}/broken/app:1`, 'NOT_FOUND']]);
    expect(failures[0].error.describe()).toContain(brokenConfig);
  });

  it('yields an image reached through several tags once, with every ref', async () => {
    const { images } = await collect(`${registry.host}/tags/many`, { tags: { kind: 'all' } });
    const digests = images.map((i) => i.digest);
    expect(new Set(digests).size).toBe(digests.length);
    const shared = images.find((i) => i.refs.length > 1)!;
    expect(shared.refs.map((r) => r.tag).sort()).toEqual(['t4', 't5', 't6', 't7']);
    const multi = await collect(`${registry.host}/multi/app`, { tags: { kind: 'all' } });
    const amd64 = multi.images.find((i) => i.platform.architecture === 'amd64')!;
    expect(sortRows((amd64.refs as RegistryImageRef[]).map((r) => ({ tag: r.tag, index_digest: r.indexDigest })))).toEqual(
      sortRows([
        { tag: 'amd64', index_digest: null },
        { tag: 'latest', index_digest: sha256(fixture.indexBytes) },
      ]),
    );
  });

  describe('selects platforms of an index', () => {
    const platforms = async (options: RegistrySourceOptions) =>
      (await collect(`${registry.host}/multi/app:latest`, options)).images.map((i) => ({ platform: `${i.platform.os}/${i.platform.architecture}`, index_digest: i.indexDigest }));
    const of = (...names: string[]) => names.map((platform) => ({ platform, index_digest: sha256(fixture.indexBytes) }));

    it('linux/amd64 by default', async () => {
      expect(await platforms({})).toEqual(of('linux/amd64'));
    });

    it('one by name', async () => {
      expect(await platforms({ platforms: 'linux/arm64' })).toEqual(of('linux/arm64'));
    });

    it('a list, in the order of the index', async () => {
      expect(await platforms({ platforms: ['linux/arm64', 'linux/amd64'] })).toEqual(of('linux/amd64', 'linux/arm64'));
    });

    it('all', async () => {
      expect(await platforms({ platforms: 'all' })).toEqual(of('linux/amd64', 'linux/arm64'));
    });
  });

  it('reads one image by digest', async () => {
    const raw = await inspectRaw(`${registry.host}/docker/app:1`);
    const { images } = await collect(`${registry.host}/docker/app@${sha256(raw)}`);
    expect(images.map((i) => [i.digest, i.mediaType, i.refs[0].tag])).toEqual([[sha256(raw), 'application/vnd.docker.distribution.manifest.v2+json', null]]);
  });

  describe('selects tags', () => {
    const tags = async (options: RegistrySourceOptions) => (await collect(`${registry.host}/tags/many`, options)).images.flatMap((i) => i.refs.map((r) => r.tag)).sort();

    it('latest by default: a repository without it is skipped, named', async () => {
      const latest = await collect(`${registry.host}/tags/many`);
      expect(latest.images).toEqual([]);
      expect(latest.skips.map((s) => s.target)).toEqual([`${registry.host}/tags/many`]);
    });

    it('by glob', async () => {
      expect(await tags({ tags: { kind: 'glob', pattern: 't[1-3]' } })).toEqual([]);
      expect(await tags({ tags: { kind: 'glob', pattern: 't?' } })).toEqual(['t1', 't2', 't3', 't4', 't5', 't6', 't7']);
    });

    it('the newest by created', async () => {
      // Expected: configs' created dates as skopeo reports them.
      const listed = await listTags(`${registry.host}/tags/many`);
      const created = new Map<string, number>();
      for (const t of listed) {
        const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--config', `docker://${registry.host}/tags/many:${t}`]);
        created.set(t, Date.parse((JSON.parse(stdout) as { created: string }).created));
      }
      const byCreated = [...listed].sort((a, b) => created.get(b)! - created.get(a)! || (a < b ? 1 : -1)).slice(0, 5);
      expect(await tags({ tags: { kind: 'newest', count: 5 } })).toEqual(byCreated.sort());
      expect(byCreated).toContain('t2');
    });

    it('the newest by listing order', async () => {
      const listed = await listTags(`${registry.host}/tags/many`);
      expect(await tags({ tags: { kind: 'newest', count: 2, by: 'listing' } })).toEqual(listed.slice(-2).sort());
    });
  });

  it('lists a namespace (a path that is not a repository)', async () => {
    const { images } = await collect(`${registry.host}/alpha`, { clientOptions: { pageSize: 2 } });
    expect([...new Set(images.flatMap((i) => i.refs.map((r) => r.repository)))].sort()).toEqual(['alpha/one', 'alpha/two']);
  });

  describe('limits', () => {
    const repos = (images: Image[]) => [...new Set(images.flatMap((i) => i.refs.map((r) => r.repository)))].sort();

    it('images to --max-images', async () => {
      expect((await collect(registry.host, { tags: { kind: 'all' }, maxImages: 3 })).images.length).toBe(3);
    });

    it('repositories to the first --max-repositories', async () => {
      const all = await storedRepositories(registry);
      const limited = await collect(registry.host, { tags: { kind: 'all' }, maxRepositories: 2 });
      expect(repos(limited.images)).toEqual(all.slice(0, 2));
    });

    it('repositories to disjoint shards that together hold every one', async () => {
      const all = await storedRepositories(registry);
      const shards = [];
      for (let index = 0; index < 3; index++) shards.push(repos((await collect(registry.host, { tags: { kind: 'all' }, shard: { index, count: 3 } })).images));
      const union = shards.flat().sort();
      expect(union).toEqual(all.filter((r) => r !== 'broken/app'));
      expect(new Set(union).size).toBe(union.length);
    });
  });

  it('opens layers as verified streams equal to the registry files', async () => {
    const { images } = await collect(`${registry.host}/zstd/app:1`);
    const layers = images[0].layers();
    expect(layers.length).toBe(2);
    for (const layer of layers) {
      const bytes = await readAll(await layer.open());
      expect(sha256(bytes)).toBe(await sha256sum(blobPath(registry, layer.descriptor.digest)));
      expect(layer.diffId).toMatch(/^sha256:/);
    }
    expect(images[0].config.rootfs?.diff_ids).toEqual(layers.map((l) => l.diffId));
  });

  it('reports a repository whose tag list fails and goes on with the others', async () => {
    const proxy = await startFaultProxy(registry.url);
    try {
      proxy.faults.push({ path: /^\/v2\/alpha\/one\/tags\/list$/, status: 500, times: 100 });
      const { images, failures } = await collect(`${proxy.host}/alpha`, { clientOptions: { retries: 1, backoffMs: 5 } });
      expect(failures.map((f) => [f.scope, f.target, f.error.code])).toEqual([['repository', `${proxy.host}/alpha/one`, 'REGISTRY_ERROR']]);
      expect(images.map((i) => i.refs[0].repository)).toEqual(['alpha/two']);
    } finally {
      await proxy.stop();
    }
  });

  it('throws the first failure when no onFailure is given', async () => {
    const source = new RegistrySource(parseRef(`${registry.host}/broken/app:1`) as RegistryRef);
    const err = await (async () => {
      for await (const _ of source.images()) void _;
    })().catch((e: unknown) => e);
    expect((err as ImgscanError).code).toBe('NOT_FOUND');
  });
});

describe('Docker schema 1 (signed by the registry, served through a proxy that accepts only schema 1)', () => {
  let old: TestRegistry;
  let proxy: FaultProxy;
  beforeAll(async () => {
    old = await startRegistry({ schema1: true });
    const layout = await buildLayout(join(dir, 'old'), 'x', { files: [['/etc/os-release', '/etc/os-release'], ['/usr/bin/ls', '/bin/ls']], architecture: 'amd64' });
    await push(layout, `${old.host}/old/app:1`, { format: 'v2s2' });
    proxy = await startFaultProxy(old.url);
    proxy.schema1 = true;
  });
  afterAll(async () => {
    await proxy?.stop();
    await old?.stop();
  });

  it.each([false, true])('converts to the schema 2 shape, marked, with the digest the registry gives (Docker-Content-Digest stripped: %s)', async (strip) => {
    const s1 = await fetch(`${old.url}/v2/old/app/manifests/1`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v1+prettyjws' } });
    const s1Body = Buffer.from(await s1.arrayBuffer());
    expect(s1.headers.get('content-type')).toBe('application/vnd.docker.distribution.manifest.v1+prettyjws');
    expect(JSON.parse(s1Body.toString()).signatures.length).toBeGreaterThan(0);
    const registryDigest = s1.headers.get('docker-content-digest');
    const v2 = JSON.parse((await inspectRaw(`${old.host}/old/app:1`)).toString()) as { layers: { digest: string; size: number }[] };
    proxy.stripContentDigest = strip;
    try {
      const { images } = await collect(`${proxy.host}/old/app:1`);
      expect(images.length).toBe(1);
      const image = images[0];
      expect(image.convertedFromSchema1).toBe(true);
      expect(image.digest).toBe(registryDigest);
      expect(image.digest).not.toBe(sha256(s1Body));
      expect(image.layers().map((l) => [l.descriptor.digest, l.descriptor.size])).toEqual(v2.layers.map((l) => [l.digest, l.size]));
      expect(image.config.rootfs).toBeUndefined();
      expect(image.platform).toEqual({ os: 'linux', architecture: 'amd64' });
      for (const layer of image.layers()) expect(sha256(await readAll(await layer.open()))).toBe(layer.descriptor.digest);
    } finally {
      proxy.stripContentDigest = false;
    }
  });

  it('stores a signed schema 1 manifest, then reads it by tag and by digest, verified against its payload digest', async () => {
    const s1 = await fetch(`${old.url}/v2/old/app/manifests/1`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v1+prettyjws' } });
    const body = Buffer.from(await s1.arrayBuffer());
    const put = await fetch(`${old.url}/v2/old/app/manifests/signed`, { method: 'PUT', body, headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' } });
    await put.arrayBuffer();
    expect(put.status).toBe(201);
    const stored = put.headers.get('docker-content-digest')!;
    const client = new RegistryClient(old.host);
    const byTag = await client.manifest('old/app', 'signed');
    expect(byTag.document.kind).toBe('schema1');
    expect(byTag.digest).toBe(stored);
    const byDigest = await client.manifest('old/app', stored);
    expect(byDigest.digest).toBe(stored);
    const { images } = await collect(`${old.host}/old/app@${stored}`);
    expect(images.map((i) => [i.digest, i.convertedFromSchema1, i.mediaType])).toEqual([[stored, true, 'application/vnd.docker.distribution.manifest.v1+prettyjws']]);
  });
});
