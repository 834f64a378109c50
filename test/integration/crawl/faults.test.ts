/** A crawl through dropped connections, 500s and 429s stores exactly what a clean crawl stores. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, dumpDataset } from '../../support/dataset.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { sha256sum } from '../../support/registry.js';
import { crawledRows, expectedCrawl, missingTools, startWorld, type World } from './setup.js';

const missing = await missingTools();

describe.skipIf(missing.length > 0)('imgscan crawl through faults', () => {
  let world: World;
  let proxy: FaultProxy;

  beforeAll(async () => {
    world = await startWorld();
    proxy = await startFaultProxy(world.registry.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await world?.stop();
  });

  it('retries and resumes until the dataset equals a clean crawl', async () => {
    const args = (data: string) => ['crawl', proxy.host, '--tags', 'all', '--platform', 'all', '--page-size', '2', '--workers', '2', '--data', data, '--json'];
    const cleanDir = join(world.tmp, 'clean');
    const clean = await cli(args(cleanDir));
    expect(clean.code).toBe(0);
    const expected = await expectedCrawl(world.registry, world.pushed, { host: proxy.host });
    expect((await crawledRows(cleanDir)).files).toEqual(expected.files);

    const blob = /^\/v2\/.+\/blobs\/sha256:/;
    proxy.faults.push(
      { method: 'GET', path: blob, dropAfterBytes: 700, times: 3 },
      { method: 'GET', path: blob, status: 500, times: 1 },
      { method: 'GET', path: /\/manifests\//, status: 500, times: 2 },
      { method: 'GET', path: /\/manifests\//, status: 429, retryAfter: '1', times: 1 },
      { method: 'GET', path: /\/v2\/_catalog/, status: 429, retryAfter: '1', times: 1 },
      { method: 'GET', path: /\/tags\/list/, status: 503, times: 1 },
    );
    proxy.blobGets.clear();
    const faultyDir = join(world.tmp, 'faulty');
    const kept = join(world.tmp, 'kept');
    const faulty = await cli([...args(faultyDir), '--keep-blobs', kept]);
    expect(faulty.stderr).toBe('');
    expect(faulty.code).toBe(0);
    expect(proxy.faults.every((f) => f.times === 0)).toBe(true);
    expect(proxy.blobGetCount()).toBeGreaterThan(expected.layers.length);
    expect(JSON.parse(faulty.stdout)).toMatchObject({ failures: 0, layers_read: expected.layers.length });
    expect(await dumpDataset(faultyDir)).toEqual(await dumpDataset(cleanDir));

    // --keep-blobs kept every layer blob whole, despite the dropped connections, and nothing partial.
    const names = (await readdir(join(kept, 'blobs', 'sha256'))).sort();
    expect(names.map((n) => `sha256:${n}`)).toEqual(expected.layers);
    for (const n of names) expect(await sha256sum(join(kept, 'blobs', 'sha256', n))).toBe(`sha256:${n}`);
    // Without the flag nothing is written beside the dataset.
    expect(await readdir(cleanDir)).not.toContain('blobs');
  });
});
