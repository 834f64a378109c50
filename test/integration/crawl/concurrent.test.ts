/** Two identical crawls started together into one data dir: every row stored once, as by one crawl. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, datasetRows, repeatedRows } from '../../support/dataset.js';
import { push } from '../../support/registry.js';
import { tableNames } from '../../../src/model/schema.js';
import { expectedCrawl, missingTools, startWorld, type Expected, type World } from './setup.js';

const missing = await missingTools();

describe.skipIf(missing.length > 0)('two imgscan crawl started together into one --data', () => {
  let world: World;
  let expected: Expected;

  beforeAll(async () => {
    world = await startWorld();
    // More names for one image (lib/base), listed last in the catalog: by then both crawls have stored or
    // waited for every image and layer, and each name is a ref they race to add without other claims between.
    for (let i = 0; i < 10; i++) {
      await push(`oci:${world.fx.layouts.main.path}:base`, `${world.registry.host}/zz/base${i}:latest`, { format: 'oci' });
      world.pushed.push({ repository: `zz/base${i}`, tag: 'latest' });
    }
    expected = await expectedCrawl(world.registry, world.pushed);
  }, 300_000);
  afterAll(async () => {
    await world?.stop();
  });

  it('store no row twice in any table, trial after trial', async () => {
    const args = (data: string) => ['crawl', world.registry.host, '--tags', 'all', '--platform', 'all', '--workers', '1', '--data', data, '--json'];
    const trials = 8;
    for (let trial = 0; trial < trials; trial++) {
      const data = join(world.tmp, `together-${trial}`);
      const runs = await Promise.all([cli(args(data)), cli(args(data))]);
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const stored = await datasetRows(data);
      for (const t of tableNames) expect(repeatedRows<object>(stored[t]), `${t} rows stored twice in trial ${trial}`).toEqual([]);
      // Exactly what a crawl must find, read back with skopeo and the registry's blob files.
      expect(stored.image_refs).toEqual(expected.refs);
      expect(stored.layers).toHaveLength(expected.layers.length);
      expect(stored.images).toHaveLength(expected.images.size);
      expect(stored.failures).toEqual([]);
      // Between them the two crawls added each ref once.
      const added = runs.map((r) => (JSON.parse(r.stdout) as { image_refs_added: number }).image_refs_added);
      expect(added[0]! + added[1]!).toBe(expected.refs.length);
      expect(readdirSync(join(data, '_claims')), 'claims left behind').toEqual([]);
    }
  }, 600_000);
});
