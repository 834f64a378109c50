/** A crawl through dropped connections, 500s and 429s stores exactly what a clean crawl stores. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, datasetRows } from '../../support/dataset.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { blobPath, sha256sum } from '../../support/registry.js';
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
    // With --json not even the retries are reported on stderr.
    expect(faulty.stderr).toBe('');
    expect(faulty.code).toBe(0);
    expect(proxy.faults.every((f) => f.times === 0)).toBe(true);
    expect(proxy.blobGetCount()).toBeGreaterThan(expected.layers.length);
    expect(JSON.parse(faulty.stdout)).toMatchObject({ failures: 0, layers_read: expected.layers.length });
    expect(await datasetRows(faultyDir)).toEqual(await datasetRows(cleanDir));

    // --keep-blobs kept every layer blob whole, despite the dropped connections, and nothing partial.
    const names = (await readdir(join(kept, 'blobs', 'sha256'))).sort();
    expect(names.map((n) => `sha256:${n}`)).toEqual(expected.layers);
    for (const n of names) expect(await sha256sum(join(kept, 'blobs', 'sha256', n))).toBe(`sha256:${n}`);
    // Without the flag nothing is written beside the dataset.
    expect(await readdir(cleanDir)).not.toContain('blobs');
  });

  it('reports each retry and resumed blob read on stderr without --json', async () => {
    const expected = await expectedCrawl(world.registry, world.pushed, { host: proxy.host });
    // A layer large enough that the connection drops in its middle.
    const sizes = await Promise.all(expected.layers.map(async (l) => ({ l, size: (await stat(blobPath(world.registry, l))).size })));
    const big = sizes.find((s) => s.size > 4096)!.l;
    proxy.faults.push(
      { method: 'GET', path: new RegExp(`/blobs/${big}$`), dropAfterBytes: 700, times: 1 },
      { method: 'GET', path: /\/manifests\//, status: 500, times: 1 },
      { method: 'GET', path: /\/v2\/_catalog/, status: 503, times: 1 },
      { method: 'GET', path: /\/tags\/list/, status: 502, times: 1 },
    );
    const dir = join(world.tmp, 'plain');
    const run = await cli(['crawl', proxy.host, '--tags', 'all', '--platform', 'all', '--page-size', '2', '--workers', '2', '--data', dir]);
    expect(run.stderr).not.toMatch(/^failed:/m);
    expect(run.code).toBe(0);
    expect(proxy.faults.every((f) => f.times === 0)).toBe(true);
    expect(run.stdout).toContain(`layers: ${expected.layers.length} read`);
    expect((await crawledRows(dir)).files).toEqual(expected.files);

    const base = `http://${proxy.host.replace(/\./g, '\\.')}/v2/`;
    const lines = run.stderr.split('\n').filter(Boolean);
    const retries = lines.filter((l) => l.startsWith('imgscan: '));
    expect(retries).toHaveLength(4);
    expect(retries).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^imgscan: retry 1/5 of GET ${base}_catalog\\?n=2 in \\d+ ms: status 503$`)),
        expect.stringMatching(new RegExp(`^imgscan: retry 1/5 of GET ${base}[a-z0-9/]+/manifests/\\S+ in \\d+ ms: status 500$`)),
        expect.stringMatching(new RegExp(`^imgscan: retry 1/5 of GET ${base}[a-z0-9/]+/tags/list\\S* in \\d+ ms: status 502$`)),
        expect.stringMatching(new RegExp(`^imgscan: resume 1/5 of GET ${base}[a-z0-9/]+/blobs/${big} at byte [1-9]\\d* in \\d+ ms: GET failed: .+$`)),
      ]),
    );
    // Everything else on stderr is the progress display (one line each time it changes: stderr is not a terminal).
    for (const l of lines.filter((l) => !l.startsWith('imgscan: '))) expect(l).toMatch(/^images \d+  layers \d+\/\d+  /);
  });
});
