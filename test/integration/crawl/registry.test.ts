/** A whole registry crawled through the CLI: several catalog pages, a multi-arch index, zstd layers, shared layers. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type CliRun, queryDataset } from '../../support/dataset.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { crawledRows, expectedCrawl, missingTools, startWorld, type Crawled, type Expected, type World } from './setup.js';

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

  describe('every tag of every platform, two repositories a catalog page', () => {
    let data: string;
    let first: CliRun;
    let summary: Record<string, unknown>;
    let got: Crawled;
    /** What the proxy saw during this crawl (later crawls of this file add to the proxy's own lists). */
    let catalogPages: string[];
    let blobGets: Map<string, number>;

    beforeAll(async () => {
      data = join(world.tmp, 'data');
      first = await cli(['crawl', proxy.host, '--tags', 'all', '--platform', 'all', '--page-size', '2', '--workers', '2', '--data', data, '--json']);
      catalogPages = proxy.requests.filter((l) => l.startsWith('GET /v2/_catalog'));
      blobGets = new Map(proxy.blobGets);
      summary = JSON.parse(first.stdout);
      got = await crawledRows(data);
    });

    it('exits 0 with nothing on stderr', () => {
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
    });

    it('reads the catalog page by page: six repositories on three pages', () => {
      expect(catalogPages.length).toBeGreaterThanOrEqual(3);
      expect(summary.repositories).toBe(world.pushed.length);
    });

    it('summarizes images yielded, images stored, layers read and no failure', () => {
      expect(summary.failures).toBe(0);
      // mirror/app1 is apps/app1 again: one more image yielded, no more stored.
      expect(summary.images).toBe(expected.images.size + 1);
      expect(summary.images_stored).toBe(expected.images.size);
      expect(summary.layers_read).toBe(expected.layers.length);
    });

    it('stores every image, ref, layer and file skopeo and the blob files show', () => {
      expect(got.images).toEqual(expected.images);
      expect(got.refs).toEqual(expected.refs);
      expect(got.layers).toEqual(expected.layers);
      expect(got.files).toEqual(expected.files);
      expect(got.compressions).toEqual(['gzip', 'zstd']);
    });

    it('stores both platforms of the index under one tag', () => {
      const multi = (refs: Expected['refs']) => refs.filter((ref) => ref.registry === proxy.host && ref.repository === 'multi/app' && ref.tag === 'latest');
      expect(multi(expected.refs)).toHaveLength(2);
      expect(multi(got.refs)).toHaveLength(2);
    });

    it('fetches each layer once, one shared by several images and repositories too', () => {
      // L0 of base, app1, app2 and mirror.
      const shared = [...expected.layerRepositories].filter(([, repos]) => repos.size >= 3);
      expect(shared.length).toBeGreaterThan(0);
      for (const layer of expected.layers) expect(blobGets.get(layer), layer).toBe(1);
    });

    it('crawled again, reads nothing and leaves the rows as they were', async () => {
      proxy.blobGets.clear();
      const again = await cli(['crawl', proxy.host, '--tags', 'all', '--platform', 'all', '--page-size', '2', '--data', data, '--json']);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ layers_read: 0, images_stored: 0, image_refs_added: 0 });
      for (const layer of expected.layers) expect(proxy.blobGets.get(layer) ?? 0).toBe(0);
      expect(await crawledRows(data)).toEqual(got);
    });
  });

  describe('selecting what to crawl', () => {
    it('--platform takes one platform of an index', async () => {
      const data = join(world.tmp, 'data-select');
      const arm64 = await cli(['crawl', `${proxy.host}/multi/app:latest`, '--platform', 'linux/arm64', '--data', data, '--json']);
      expect(arm64.code).toBe(0);
      expect(JSON.parse(arm64.stdout)).toMatchObject({ images: 1, repositories: 1 });
      const rows = await crawledRows(data);
      const arm = [...rows.images.keys()];
      expect(arm).toHaveLength(1);
      const index = expected.refs.find((ref) => ref.registry === proxy.host && ref.repository === 'multi/app')!.index_digest;
      expect(expected.refs).toContainEqual({ registry: proxy.host, repository: 'multi/app', tag: 'latest', manifest_digest: arm[0], index_digest: index });
    });

    it('--max-repositories stops after that many repositories', async () => {
      const limited = await cli(['crawl', proxy.host, '--max-repositories', '2', '--page-size', '2', '--data', join(world.tmp, 'data-limit'), '--json']);
      expect(limited.code).toBe(0);
      expect(JSON.parse(limited.stdout).repositories).toBe(2);
    });

    it('a namespace crawls the repositories under it', async () => {
      const namespace = await cli(['crawl', `${proxy.host}/apps`, '--page-size', '2', '--data', join(world.tmp, 'data-ns'), '--json']);
      expect(namespace.code).toBe(0);
      expect(JSON.parse(namespace.stdout)).toMatchObject({ repositories: world.pushed.filter((p) => p.repository.startsWith('apps/')).length });
      const rows = await crawledRows(join(world.tmp, 'data-ns'));
      expect([...new Set(rows.refs.map((ref) => ref.repository))].sort()).toEqual(['apps/app1', 'apps/app2']);
    });

    it('--max-images stops after that many images', async () => {
      const oneImage = await cli(['crawl', proxy.host, '--max-images', '1', '--data', join(world.tmp, 'data-one'), '--json']);
      expect(oneImage.code).toBe(0);
      expect(JSON.parse(oneImage.stdout)).toMatchObject({ images: 1, images_stored: 1 });
    });

    it('--tags matching no tag yields no image and no failure', async () => {
      const none = await cli(['crawl', proxy.host, '--tags', 'glob:v*', '--data', join(world.tmp, 'data-none'), '--json']);
      expect(none.code).toBe(0);
      expect(JSON.parse(none.stdout)).toMatchObject({ images: 0, failures: 0 });
    });

    it('a malformed --tags is a usage error naming the accepted form', async () => {
      const usage = await cli(['crawl', proxy.host, '--tags', 'newest:x', '--data', join(world.tmp, 'data-usage')]);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('newest:N');
    });
  });

  describe('a missing image', () => {
    it('with --json: one row in the failures table, the other image stored, nothing on stderr, exit 3', async () => {
      const data = join(world.tmp, 'data-fail');
      const r = await cli(['crawl', `${proxy.host}/lib/base:nope`, `${proxy.host}/apps/app2:latest`, '--data', data, '--json']);
      expect(r.code).toBe(3);
      const summary = JSON.parse(r.stdout);
      expect(summary).toMatchObject({ failures: 1, images_stored: 1 });
      const rows = await crawledRows(data);
      expect([...rows.images.keys()]).toHaveLength(1);
      const failures = await queryDataset<{ scope: string; target: string; code: string }>(data, 'SELECT scope, target, code FROM failures');
      expect(failures).toEqual([{ scope: 'image', target: `${proxy.host}/lib/base:nope`, code: 'NOT_FOUND' }]);
      // The failure is in the summary and the table only.
      expect(r.stderr).toBe('');
    });

    it('as the only target: one Error: line, no failed: line, exit 1', async () => {
      const plain = await cli(['crawl', `${proxy.host}/lib/base:nope`, '--data', join(world.tmp, 'data-fail-plain')]);
      // Nothing could be read: the failure is the one Error: line, not also a failed: line.
      expect(plain.code, plain.stderr).toBe(1);
      expect(plain.stderr).toMatch(new RegExp(`^Error: .*image ${proxy.host.replace(/\./g, '\\.')}/lib/base:nope, .+ \\[NOT_FOUND\\]$`, 'm'));
      expect(plain.stderr).not.toMatch(/^failed:/m);
    });
  });
});
