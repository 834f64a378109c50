/** A whole registry crawled through the CLI: several catalog pages, a multi-arch index, zstd layers, shared layers. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../support/dataset.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { crawledRows, expectedCrawl, missingTools, startWorld, type Expected, type World } from './setup.js';

const missing = await missingTools();

describe.skipIf(missing.length > 0)('imgscan crawl of a whole registry', () => {
  let world: World;
  let proxy: FaultProxy;
  let expected: Expected;

  beforeAll(async () => {
    world = await startWorld();
    proxy = await startFaultProxy(world.registry.url);
    expected = await expectedCrawl(world.registry, world.pushed, { host: proxy.host });
  });
  afterAll(async () => {
    await proxy?.stop();
    await world?.stop();
  });

  it('stores every image, layer and file of every repository, each layer read once', async () => {
    const data = join(world.tmp, 'data');
    const r = await cli(['crawl', proxy.host, '--tags', 'all', '--platform', 'all', '--page-size', '2', '--workers', '2', '--data', data, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    // Six repositories on three catalog pages (page size 2).
    const catalogPages = proxy.requests.filter((l) => l.startsWith('GET /v2/_catalog'));
    expect(catalogPages.length).toBeGreaterThanOrEqual(3);
    expect(summary.repositories).toBe(world.pushed.length);
    expect(summary.failures).toBe(0);
    // mirror/app1 is apps/app1 again: one more image yielded, no more stored.
    expect(summary.images).toBe(expected.images.size + 1);
    expect(summary.images_stored).toBe(expected.images.size);
    expect(summary.layers_read).toBe(expected.layers.length);

    const got = await crawledRows(data);
    expect(got.images).toEqual(expected.images);
    expect(got.refs).toEqual(expected.refs);
    expect(got.layers).toEqual(expected.layers);
    expect(got.files).toEqual(expected.files);
    expect(got.compressions).toEqual(['gzip', 'zstd']);
    // Both platforms of the index.
    expect(expected.refs.filter((ref) => ref.startsWith(`${proxy.host} multi/app latest`))).toHaveLength(2);
    expect(got.refs.filter((ref) => ref.startsWith(`${proxy.host} multi/app latest`))).toHaveLength(2);

    // A layer used by several images and repositories (L0 of base, app1, app2, mirror) was fetched once.
    const shared = [...expected.layerRepositories].filter(([, repos]) => repos.size >= 3);
    expect(shared.length).toBeGreaterThan(0);
    for (const layer of expected.layers) expect(proxy.blobGets.get(layer), layer).toBe(1);

    // Crawling again reads nothing.
    proxy.blobGets.clear();
    const again = await cli(['crawl', proxy.host, '--tags', 'all', '--platform', 'all', '--page-size', '2', '--data', data, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ layers_read: 0, images_stored: 0, image_refs_added: 0 });
    for (const layer of expected.layers) expect(proxy.blobGets.get(layer) ?? 0).toBe(0);
    expect(await crawledRows(data)).toEqual(got);
  });

  it('honours --tags, --platform, --max-repositories, --max-images, namespaces and single-image targets', async () => {
    const data = join(world.tmp, 'data-select');
    const amd64 = await cli(['crawl', `${proxy.host}/multi/app:latest`, '--platform', 'linux/arm64', '--data', data, '--json']);
    expect(amd64.code).toBe(0);
    expect(JSON.parse(amd64.stdout)).toMatchObject({ images: 1, repositories: 1 });
    const rows = await crawledRows(data);
    const arm = [...rows.images.keys()];
    expect(arm).toHaveLength(1);
    expect(expected.refs).toContain(`${proxy.host} multi/app latest ${arm[0]} ${expected.refs.find((x) => x.startsWith(`${proxy.host} multi/app`))!.split(' ')[4]}`);

    const limited = await cli(['crawl', proxy.host, '--max-repositories', '2', '--page-size', '2', '--data', join(world.tmp, 'data-limit'), '--json']);
    expect(limited.code).toBe(0);
    expect(JSON.parse(limited.stdout).repositories).toBe(2);

    // A namespace: the repositories under apps/.
    const namespace = await cli(['crawl', `${proxy.host}/apps`, '--page-size', '2', '--data', join(world.tmp, 'data-ns'), '--json']);
    expect(namespace.code).toBe(0);
    expect(JSON.parse(namespace.stdout)).toMatchObject({ repositories: world.pushed.filter((p) => p.repository.startsWith('apps/')).length });
    const refs = await crawledRows(join(world.tmp, 'data-ns'));
    expect([...new Set(refs.refs.map((x) => x.split(' ')[1]))].sort()).toEqual(['apps/app1', 'apps/app2']);

    const oneImage = await cli(['crawl', proxy.host, '--max-images', '1', '--data', join(world.tmp, 'data-one'), '--json']);
    expect(oneImage.code).toBe(0);
    expect(JSON.parse(oneImage.stdout)).toMatchObject({ images: 1, images_stored: 1 });

    const none = await cli(['crawl', proxy.host, '--tags', 'glob:v*', '--data', join(world.tmp, 'data-none'), '--json']);
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout)).toMatchObject({ images: 0, failures: 0 });

    const usage = await cli(['crawl', proxy.host, '--tags', 'newest:x', '--data', join(world.tmp, 'data-usage')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('newest:N');
  });

  it('records a missing image in the failures table, goes on, and exits 3', async () => {
    const data = join(world.tmp, 'data-fail');
    const r = await cli(['crawl', `${proxy.host}/lib/base:nope`, `${proxy.host}/apps/app2:latest`, '--data', data, '--json']);
    expect(r.code).toBe(3);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ failures: 1, images_stored: 1 });
    const rows = await crawledRows(data);
    expect([...rows.images.keys()]).toHaveLength(1);
    const { queryDataset } = await import('../../support/dataset.js');
    const failures = await queryDataset<{ scope: string; target: string; code: string }>(data, 'SELECT scope, target, code FROM failures');
    expect(failures).toEqual([{ scope: 'image', target: `${proxy.host}/lib/base:nope`, code: 'NOT_FOUND' }]);
    // With --json the failure is in the summary and the table only: nothing on stderr.
    expect(r.stderr).toBe('');
    const plain = await cli(['crawl', `${proxy.host}/lib/base:nope`, '--data', join(world.tmp, 'data-fail-plain')]);
    // Nothing could be read: the failure is the one Error: line, not also a failed: line.
    expect(plain.code, plain.stderr).toBe(1);
    expect(plain.stderr).toMatch(new RegExp(`^Error: .*image ${proxy.host.replace(/\./g, '\\.')}/lib/base:nope, .+ \\[NOT_FOUND\\]$`, 'm'));
    expect(plain.stderr).not.toMatch(/^failed:/m);
  });
});
