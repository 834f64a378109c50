/** A crawl through dropped connections, 500s and 429s stores exactly what a clean crawl stores. */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type CliRun, datasetRows } from '../../support/dataset.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { blobPath, inspectRaw, sha256sum } from '../../support/registry.js';
import { crawledRows, expectedCrawl, missingTools, startWorld, type Expected, type World } from './setup.js';

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

  describe('with --json, dropped connections, 500s, 429s and 503s on every kind of request', () => {
    const args = (data: string) => ['crawl', proxy.host, '--tags', 'all', '--platform', 'all', '--page-size', '2', '--workers', '2', '--data', data, '--json'];
    let expected: Expected;
    let cleanDir: string;
    let faultyDir: string;
    let kept: string;
    let faulty: CliRun;
    let faultyBlobGets: number;

    beforeAll(async () => {
      cleanDir = join(world.tmp, 'clean');
      const clean = await cli(args(cleanDir));
      expect(clean.code).toBe(0);
      expected = await expectedCrawl(world.registry, world.pushed, { host: proxy.host });
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
      faultyDir = join(world.tmp, 'faulty');
      kept = join(world.tmp, 'kept');
      faulty = await cli([...args(faultyDir), '--keep-blobs', kept]);
      faultyBlobGets = proxy.blobGetCount();
    });

    it('a clean crawl stores the files of the blob files', async () => {
      expect((await crawledRows(cleanDir)).files).toEqual(expected.files);
    });

    it('retries past every fault, reading some blobs again, and exits 0 with nothing on stderr', () => {
      // With --json not even the retries are reported on stderr.
      expect(faulty.stderr).toBe('');
      expect(faulty.code).toBe(0);
      expect(proxy.faults.every((f) => f.times === 0)).toBe(true);
      expect(faultyBlobGets).toBeGreaterThan(expected.layers.length);
      expect(JSON.parse(faulty.stdout)).toMatchObject({ failures: 0, layers_read: expected.layers.length });
    });

    it('stores the dataset of the clean crawl', async () => {
      expect(await datasetRows(faultyDir)).toEqual(await datasetRows(cleanDir));
    });

    it('--keep-blobs keeps every layer blob whole, despite the dropped connections, and nothing partial', async () => {
      const names = (await readdir(join(kept, 'blobs', 'sha256'))).sort();
      expect(names.map((n) => `sha256:${n}`)).toEqual(expected.layers);
      for (const n of names) expect(await sha256sum(join(kept, 'blobs', 'sha256', n))).toBe(`sha256:${n}`);
    });

    it('without --keep-blobs nothing is written beside the dataset', async () => {
      expect(await readdir(cleanDir)).not.toContain('blobs');
    });
  });

  describe('without --json, a dropped blob read and a 5xx on each kind of request', () => {
    let expected: Expected;
    let big: string;
    let dir: string;
    let run: CliRun;
    let lines: string[];

    beforeAll(async () => {
      expected = await expectedCrawl(world.registry, world.pushed, { host: proxy.host });
      // A layer large enough that the connection drops in its middle.
      const sizes = await Promise.all(expected.layers.map(async (l) => ({ l, size: (await stat(blobPath(world.registry, l))).size })));
      big = sizes.find((s) => s.size > 4096)!.l;
      proxy.faults.push(
        { method: 'GET', path: new RegExp(`/blobs/${big}$`), dropAfterBytes: 700, times: 1 },
        { method: 'GET', path: /\/manifests\//, status: 500, times: 1 },
        { method: 'GET', path: /\/v2\/_catalog/, status: 503, times: 1 },
        { method: 'GET', path: /\/tags\/list/, status: 502, times: 1 },
      );
      dir = join(world.tmp, 'plain');
      run = await cli(['crawl', proxy.host, '--tags', 'all', '--platform', 'all', '--page-size', '2', '--workers', '2', '--data', dir]);
      lines = run.stderr.split('\n').filter(Boolean);
    });

    it('retries past every fault and stores the files of the blob files', async () => {
      expect(run.stderr).not.toMatch(/^failed:/m);
      expect(run.code).toBe(0);
      expect(proxy.faults.every((f) => f.times === 0)).toBe(true);
      expect(run.stdout).toContain(`layers: ${expected.layers.length} read`);
      expect((await crawledRows(dir)).files).toEqual(expected.files);
    });

    it('reports each retry and resumed blob read on stderr', () => {
      const base = `http://${proxy.host.replace(/\./g, '\\.')}/v2/`;
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
    });

    it('prints nothing else on stderr but progress lines', () => {
      // One line each time the display changes: stderr is not a terminal.
      for (const l of lines.filter((l) => !l.startsWith('imgscan: '))) expect(l).toMatch(/^images \d+( \(\d+ already in the dataset\))?  layers \d+\/\d+( \(\d+ already in the dataset\))?  /);
    });
  });

  describe('a layer blob the registry serves with one byte changed', () => {
    let layer: string;
    let actual: string;
    let dir: string;
    let run: CliRun;

    beforeAll(async () => {
      const manifest = JSON.parse((await inspectRaw(`${world.registry.host}/lib/base:latest`)).toString('utf8')) as { layers: { digest: string }[] };
      layer = manifest.layers[0]!.digest;
      const file = await open(blobPath(world.registry, layer), 'r+');
      const original = Buffer.alloc(8);
      try {
        await file.read(original, 0, 8, 0);
        // A gzip member's MTIME (bytes 4-7) is not checked by inflate: only the blob's digest can tell the change.
        expect([original[0], original[1]]).toEqual([0x1f, 0x8b]);
        await file.write(Buffer.from([original[4]! ^ 0xff]), 0, 1, 4);
        actual = await sha256sum(blobPath(world.registry, layer));
        dir = join(world.tmp, 'changed-byte');
        run = await cli(['crawl', `${world.registry.host}/lib/base`, '--data', dir, '--json']);
      } finally {
        await file.write(original, 0, 8, 0);
        await file.close();
      }
    });

    it('fails the layer with DIGEST_MISMATCH naming the digest read, and stores no row of it', async () => {
      expect(actual).not.toBe(layer);
      expect(run.code).toBe(3);
      const rows = await datasetRows(dir);
      expect(rows.failures.map((f) => ({ scope: f.scope, layer_digest: f.layer_digest, code: f.code }))).toEqual([{ scope: 'layer', layer_digest: layer, code: 'DIGEST_MISMATCH' }]);
      expect(rows.failures[0]!.message).toContain(actual);
      expect(rows.layers).toEqual([]);
      expect(rows.files).toEqual([]);
    });
  });
});
