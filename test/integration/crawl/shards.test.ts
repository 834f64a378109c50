/** Three shards into one data dir, at the same time, give the dataset of one run (as sets of rows). */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type CliRun, datasetRows, type DatasetRows } from '../../support/dataset.js';
import { tableNames } from '../../../src/model/schema.js';
import { expectedCrawl, missingTools, pushOnePerShard, startWorld, type Expected, type World } from './setup.js';

const missing = await missingTools();

describe.skipIf(missing.length > 0)('imgscan crawl --shard', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld();
    await pushOnePerShard(world, 3);
  });
  afterAll(async () => {
    await world?.stop();
  });

  describe('three shards at the same time into one data dir', () => {
    const common = ['--tags', 'all', '--platform', 'all', '--page-size', '2', '--workers', '1', '--json'];
    let whole: string;
    let sharded: string;
    let expected: Expected;
    let one: DatasetRows;
    let runs: CliRun[];
    let summaries: { repositories: number; layers_read: number }[];

    beforeAll(async () => {
      whole = join(world.tmp, 'whole');
      expect((await cli(['crawl', world.registry.host, ...common, '--data', whole])).code).toBe(0);
      expected = await expectedCrawl(world.registry, world.pushed);
      one = await datasetRows(whole);
      sharded = join(world.tmp, 'sharded');
      runs = await Promise.all([0, 1, 2].map((i) => cli(['crawl', world.registry.host, ...common, '--shard', `${i}/3`, '--data', sharded])));
      summaries = runs.map((r) => JSON.parse(r.stdout));
    });

    it('one run stores every layer and ref', () => {
      expect(one.layers).toHaveLength(expected.layers.length);
      expect(one.image_refs).toHaveLength(expected.refs.length);
    });

    it('every shard exits 0', () => {
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
    });

    it('splits the repositories: each shard gets some, together all', () => {
      expect(summaries.map((s) => s.repositories).reduce((a, b) => a + b, 0)).toBe(world.pushed.length);
      for (const s of summaries) expect(s.repositories).toBeGreaterThan(0);
    });

    it('reads each layer in exactly one shard, though the shards\' repositories share some', () => {
      expect(summaries.map((s) => s.layers_read).reduce((a, b) => a + b, 0)).toBe(expected.layers.length);
    });

    it('stores the rows of one run, none twice, and leaves no claim behind', async () => {
      // Shards that run at once claim layers and images in the shared data dir: each is read and stored once,
      // so the union has no duplicate rows at all (failures aside, there are none here).
      const union = await datasetRows(sharded);
      for (const t of tableNames) expect(union[t], t).toEqual(one[t]);
      expect(readdirSync(join(sharded, '_claims')), 'claims left behind').toEqual([]);
    });

    it('analyze keeps each layer, image and ref once: the same figures for the shards as for one run', async () => {
      const summaries2: unknown[] = [];
      for (const dir of [whole, sharded]) {
        const out = join(world.tmp, `report-${summaries2.length}`);
        const a = await cli(['analyze', '--data', dir, '--out', out, '--format', 'json']);
        expect(a.code, a.stderr).toBe(0);
        const { data_dirs: _d, ...rest } = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
        expect(Object.keys(rest).length).toBeGreaterThan(3);
        summaries2.push(rest);
      }
      expect(summaries2[1]).toEqual(summaries2[0]);
    });

    it('names the batches of each shard after it', () => {
      const names = JSON.stringify(readdirSync(sharded, { recursive: true }));
      for (const i of [0, 1, 2]) expect(names).toContain(`shard-${i}-of-3`);
    });

    it('run one after another, each shard sees what the earlier ones stored: no duplicate rows at all', async () => {
      const sequential = join(world.tmp, 'sequential');
      for (const i of [0, 1, 2]) expect((await cli(['crawl', world.registry.host, ...common, '--shard', `${i}/3`, '--data', sequential])).code).toBe(0);
      expect(await datasetRows(sequential)).toEqual(one);
    });
  });
});
