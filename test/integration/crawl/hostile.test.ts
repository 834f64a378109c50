/**
 * Crawls through a hostile registry (test/support/hostile-registry.ts in front of a real one): endless and
 * looping listings, manifests of too many or missing layers, huge manifests and configs, a config whose bytes
 * are not its digest. Each ends in a clear error and a failures row; what was stored before stays stored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, queryDataset, sortRows } from '../../support/dataset.js';
import { blobUnknown, hugeBody, sendJson, sha256, startHostileRegistry, type HostileRegistry } from '../../support/hostile-registry.js';
import { buildLayout, inspectRaw, push, startRegistry, type TestRegistry } from '../../support/registry.js';
import { missingTools } from './setup.js';

const missing = await missingTools();
const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
const MiB = 1024 * 1024;

interface FailureRow {
  scope: string;
  target: string;
  image: string | null;
  layer_digest: string | null;
  code: string;
  message: string;
}

/** A fake layer digest that no registry holds: the sha256 of "missing-N". */
const missingLayer = (n: number) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(Buffer.from(`missing-${n}`)), size: 100 });

describe.skipIf(missing.length > 0)('imgscan crawl of a hostile registry', () => {
  let registry: TestRegistry;
  let hostile: HostileRegistry;
  let tmp: string;
  let goodDigest: string;
  let n = 0;
  const data = () => join(tmp, `data-${++n}`);
  const failures = (dir: string) => queryDataset<FailureRow>(dir, 'SELECT scope, target, image, layer_digest, code, message FROM failures ORDER BY scope, target');
  const stored = async (dir: string) => (await queryDataset<{ m: string }>(dir, 'SELECT manifest_digest AS m FROM images')).map((r) => r.m);

  /** Serves an image manifest (by tag and by digest) whose config is `config`, served as `configBytes`. */
  const serveImage = (repository: string, config: Buffer, layers: object[], configBytes = config) => {
    const configDesc = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length };
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: ociManifest, config: configDesc, layers }));
    const answer = (_req: unknown, res: Parameters<typeof sendJson>[0]) => sendJson(res, manifest, { 'content-type': ociManifest, 'docker-content-digest': sha256(manifest) });
    hostile.routes.set(`/v2/${repository}/manifests/1`, answer);
    hostile.routes.set(`/v2/${repository}/manifests/${sha256(manifest)}`, answer);
    hostile.routes.set(`/v2/${repository}/blobs/${configDesc.digest}`, (_req, res) => sendJson(res, configBytes));
    for (const l of layers as { digest: string }[]) hostile.routes.set(`/v2/${repository}/blobs/${l.digest}`, (_req, res) => blobUnknown(res));
    return { manifest, configDesc };
  };
  const plainConfig = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'imgscan-hostile-'));
    registry = await startRegistry();
    const layout = await buildLayout(join(tmp, 'img'), 'x', { files: [['/etc/os-release', '/etc/os-release']] });
    await push(layout, `${registry.host}/good/app:1`, { format: 'oci' });
    goodDigest = sha256(await inspectRaw(`${registry.host}/good/app:1`));
    hostile = await startHostileRegistry(registry.url);
  });
  afterAll(async () => {
    await hostile?.stop();
    await registry?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('refuses a tag list whose Link leads back to a page already read, at once', async () => {
    hostile.routes.set('/v2/looping/tags/list', (_req, res, url) => {
      const second = url.searchParams.get('last') === 'a';
      sendJson(res, { name: 'looping', tags: [second ? 'b' : 'a'] }, { link: `</v2/looping/tags/list?${second ? '' : 'last=a'}>; rel="next"` });
    });
    const dir = data();
    const r = await cli(['crawl', `${hostile.host}/good/app`, `${hostile.host}/looping`, '--tags', 'all', '--workers', '1', '--data', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    // Page 1, page 2, and the Link of page 2 names page 1 (as "?" with an empty query): not fetched a second time.
    expect(hostile.requests.filter((l) => l.startsWith('GET /v2/looping/tags/list'))).toEqual(['GET /v2/looping/tags/list', 'GET /v2/looping/tags/list?last=a']);
    expect(await failures(dir)).toEqual([
      { scope: 'repository', target: `${hostile.host}/looping`, image: null, layer_digest: null, code: 'REGISTRY_ERROR', message: 'tag list loops: page 3 links back to a page already read' },
    ]);
    expect(await stored(dir)).toEqual([goodDigest]);
  });

  it('refuses a catalog whose every page links to a new page after 10 000 pages; repositories listed before are crawled', async () => {
    let pages = 0;
    hostile.routes.set('/v2/_catalog', (_req, res) => {
      pages++;
      // The first page lists the real repository, every page after it one that does not exist... never ending.
      sendJson(res, { repositories: pages === 1 ? ['good/app'] : [] }, { link: `</v2/_catalog?last=p${pages}&n=1000>; rel="next"` });
    });
    const dir = data();
    const r = await cli(['crawl', hostile.host, '--tags', 'all', '--workers', '1', '--data', dir, '--json']);
    hostile.routes.delete('/v2/_catalog');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    expect(pages).toBe(10_000);
    const rows = await failures(dir);
    expect(rows).toEqual([{ scope: 'source', target: hostile.host, image: null, layer_digest: null, code: 'REGISTRY_ERROR', message: 'catalog has more than 10000 pages: refused as endless' }]);
    expect(await stored(dir)).toEqual([goodDigest]);
    expect(JSON.parse(r.stdout)).toMatchObject({ images_stored: 1, failures: 1, source_failures: 1 });
  }, 120_000);

  it('refuses a manifest of more than 4096 layers as MANIFEST_INVALID without asking for one layer', async () => {
    serveImage('many/app', plainConfig, Array.from({ length: 4097 }, (_, i) => missingLayer(i)));
    const dir = data();
    const r = await cli(['crawl', `${hostile.host}/good/app:1`, `${hostile.host}/many/app:1`, '--workers', '1', '--data', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    expect(hostile.requests.filter((l) => l.startsWith('GET /v2/many/app/blobs/'))).toEqual([]);
    const image = `${hostile.host}/many/app:1`;
    expect(await failures(dir)).toEqual([{ scope: 'image', target: image, image, layer_digest: null, code: 'MANIFEST_INVALID', message: 'manifest 1 lists 4097 layers, more than the 4096 allowed: refused' }]);
    expect(await stored(dir)).toEqual([goodDigest]);
  });

  it('gives an image up after 10 of its layers failed: one row per failed layer and one for the image, the rest not read', async () => {
    const layers = Array.from({ length: 40 }, (_, i) => missingLayer(1000 + i));
    serveImage('missing/app', plainConfig, layers);
    const dir = data();
    const r = await cli(['crawl', `${hostile.host}/good/app:1`, `${hostile.host}/missing/app:1`, '--workers', '1', '--data', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    const image = `${hostile.host}/missing/app:1`;
    const rows = await failures(dir);
    const layerRows = rows.filter((f) => f.scope === 'layer');
    expect(layerRows).toHaveLength(10);
    for (const f of layerRows) {
      expect(layers.map((l) => l.digest)).toContain(f.layer_digest);
      expect(f).toMatchObject({ target: f.layer_digest, image, code: 'NOT_FOUND' });
    }
    const imageRows = rows.filter((f) => f.scope === 'image');
    expect(imageRows).toHaveLength(1);
    expect(imageRows[0]).toMatchObject({ target: image, image, layer_digest: null, code: 'NOT_FOUND' });
    expect(imageRows[0].message).toMatch(/^10 of its 40 layers failed \(the first: .+\): image given up, \d+ of its layers not read$/);
    // One layer at a time (--workers 1): the next may have started before the image was given up, no more.
    const asked = new Set(hostile.requests.filter((l) => l.startsWith('GET /v2/missing/app/blobs/')).map((l) => l.split('/').pop()));
    expect(asked.size).toBeLessThanOrEqual(12);
    expect(JSON.parse(r.stdout)).toMatchObject({ images_stored: 1, failures: 11 });
    expect(await stored(dir)).toEqual([goodDigest]);
  });

  it.each([true, false])('refuses a 100 MiB manifest and config unread (Content-Length sent: %s)', async (contentLength) => {
    const repo = `huge${contentLength ? 'cl' : 'chunked'}`;
    const manifest = hugeBody(100 * MiB, { contentLength, contentType: ociManifest });
    hostile.routes.set(`/v2/${repo}/app/manifests/1`, manifest.route);
    const config = hugeBody(100 * MiB, { contentLength, contentType: 'application/octet-stream' });
    const configDesc = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(Buffer.from(repo)), size: 100 * MiB };
    const small = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: ociManifest, config: configDesc, layers: [] }));
    hostile.routes.set(`/v2/${repo}/config/manifests/1`, (_req, res) => sendJson(res, small, { 'content-type': ociManifest }));
    hostile.routes.set(`/v2/${repo}/config/blobs/${configDesc.digest}`, config.route);
    const dir = data();
    const r = await cli(['crawl', `${hostile.host}/good/app:1`, `${hostile.host}/${repo}/app:1`, `${hostile.host}/${repo}/config:1`, '--workers', '1', '--data', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    await Promise.all([manifest.result.closed, config.result.closed]);
    // The connection was given up after about the limit: not the 100 MiB (the rest is socket buffers).
    for (const body of [manifest.result, config.result]) {
      expect(body.finished).toBe(false);
      expect(body.sent).toBeLessThan(24 * MiB);
    }
    const why = contentLength ? `Content-Length is ${100 * MiB}` : `more than ${4 * MiB} bytes were sent`;
    const whyConfig = contentLength ? `Content-Length is ${100 * MiB}` : `more than ${8 * MiB} bytes were sent`;
    const image = `${hostile.host}/${repo}/app:1`;
    const configImage = `${hostile.host}/${repo}/config:1`;
    expect(await failures(dir)).toEqual([
      { scope: 'image', target: image, image, layer_digest: null, code: 'MANIFEST_INVALID', message: `manifest 1 is larger than the 4 MiB allowed (${why}): refused` },
      { scope: 'image', target: configImage, image: configImage, layer_digest: null, code: 'CONFIG_INVALID', message: `config ${configDesc.digest} is larger than the 8 MiB allowed (${whyConfig}): refused` },
    ]);
    expect(await stored(dir)).toEqual([goodDigest]);
  });

  it('names a config whose bytes are not its digest as the config, with both digests', async () => {
    const served = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }).replace('amd64', 'arm64'));
    expect(served.length).toBe(plainConfig.length);
    const { configDesc } = serveImage('badconfig/app', plainConfig, [], served);
    const dir = data();
    const r = await cli(['crawl', `${hostile.host}/badconfig/app:1`, `${hostile.host}/good/app:1`, '--workers', '1', '--data', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    const image = `${hostile.host}/badconfig/app:1`;
    expect(await failures(dir)).toEqual([
      { scope: 'image', target: image, image, layer_digest: null, code: 'DIGEST_MISMATCH', message: `config ${configDesc.digest} has digest ${sha256(served)}, the manifest gives ${configDesc.digest}` },
    ]);
  });

  it('prints a failed: line for every failed layer and image without --json', async () => {
    const layers = Array.from({ length: 3 }, (_, i) => missingLayer(2000 + i));
    serveImage('fewmissing/app', plainConfig, layers);
    serveImage('badconfig/app', plainConfig, [], Buffer.from(plainConfig.toString().replace('amd64', 'arm64')));
    const dir = data();
    const r = await cli(['crawl', `${hostile.host}/good/app:1`, `${hostile.host}/fewmissing/app:1`, `${hostile.host}/badconfig/app:1`, '--workers', '1', '--data', dir]);
    expect(r.code).toBe(3);
    const image = `${hostile.host}/fewmissing/app:1`;
    const failed = r.stderr.split('\n').filter((l) => l.startsWith('failed: ')).sort();
    expect(failed).toHaveLength(4);
    expect(failed).toContain(
      `failed: image ${hostile.host}/badconfig/app:1: config ${sha256(plainConfig)} has digest ${sha256(Buffer.from(plainConfig.toString().replace('amd64', 'arm64')))}, the manifest gives ${sha256(plainConfig)} [DIGEST_MISMATCH]`,
    );
    // Each layer's line names the layer and the image it failed in, then the registry's answer.
    for (const l of layers) {
      expect(failed.filter((line) => line.startsWith(`failed: layer ${l.digest} of ${image}: `))).toHaveLength(1);
    }
    for (const line of failed.filter((f) => f.startsWith('failed: layer '))) expect(line).toMatch(/: GET answered 404\b.*BLOB_UNKNOWN blob unknown to registry \[NOT_FOUND\]$/);
    // The lines and the rows tell the same failures.
    expect(sortRows((await failures(dir)).map(({ scope, target, code }) => ({ scope, target, code })))).toEqual(
      sortRows([{ scope: 'image', target: `${hostile.host}/badconfig/app:1`, code: 'DIGEST_MISMATCH' }, ...layers.map((l) => ({ scope: 'layer', target: l.digest, code: 'NOT_FOUND' }))]),
    );
  });
});
