/**
 * Pull and update traffic (docs/metrics.md) over seeded random datasets written through the real DatasetWriter,
 * against plain loops over the same rows: version series per repository ordered by `created`, then what each
 * pull and each update moves under layer, file and chunk dedup, and DupHunter's restore work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AnalysisDb } from '../../../src/analysis/db.js';
import { trafficFigures } from '../../../src/analysis/traffic.js';
import { prng, randomDataset, sha, writeRows } from './build.js';
import type { RefChunk, RefDataset } from './reference-model.js';
import { referenceTraffic } from './reference-traffic.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const chunker = 'fastcdc-64-16-256';

/** A random dataset whose images are versions of three repositories, some without `created`, some layers unread. */
function versioned(seed: number): RefDataset {
  const ds = randomDataset(seed, 16, 14);
  const rnd = prng(seed * 7 + 1);
  const repos = ['app/one', 'app/two', 'lib/base'];
  ds.images = ds.images.map((img, i) => ({
    ...img,
    refs: [{ registry: 'registry.test', repository: repos[Math.floor(rnd() * repos.length)], tag: `v${i}` }],
    created: rnd() < 0.15 ? null : new Date(Date.UTC(2024, 0, 1 + Math.floor(rnd() * 10))),
    // Now and then a layer no scan read (a foreign or failed one): listed, fetched, never opened.
    layers: rnd() < 0.2 ? [...img.layers, { layer_digest: sha(`unread ${seed} ${i}`), compressed_size: 1000 + i }] : img.layers,
  }));
  // Chunks: each file cut into pieces of 100 bytes, named by content and offset, so equal contents share them.
  ds.chunks = ds.layers.flatMap((l) =>
    l.entries.filter((e) => e.entry_type === 'file' && e.size > 0).flatMap((e) =>
      Array.from({ length: Math.ceil(e.size / 100) }, (_, k): RefChunk => ({
        layer_digest: l.layer_digest, entry_index: e.entry_index, chunk_index: k, digest: sha(`${e.digest} ${k}`).slice(7), size: Math.min(100, e.size - k * 100),
      })),
    ),
  );
  for (const l of ds.layers) l.chunker = chunker;
  return ds;
}

/** The same dataset with three chunkers run on every layer, each cutting pieces of its own size. */
function threeChunkers(seed: number): RefDataset {
  const ds = versioned(seed);
  const pieces: [string, number][] = [[chunker, 100], ['fixed-4096', 250], ['rollsum-256', 64]];
  ds.chunks = ds.layers.flatMap((l) =>
    l.entries.filter((e) => e.entry_type === 'file' && e.size > 0).flatMap((e) =>
      pieces.flatMap(([name, piece]) =>
        Array.from({ length: Math.ceil(e.size / piece) }, (_, k): RefChunk => ({
          layer_digest: l.layer_digest, entry_index: e.entry_index, chunk_index: k, digest: sha(`${e.digest} ${piece} ${k}`).slice(7), size: Math.min(piece, e.size - k * piece), chunker: name,
        })),
      ),
    ),
  );
  for (const l of ds.layers) l.chunker = pieces.map(([name]) => name).join(',');
  return ds;
}

async function measured(ds: RefDataset) {
  const dir = mkdtempSync(join(tmpdir(), 'imgscan-traffic-'));
  dirs.push(dir);
  await writeRows(dir, ds);
  const a = await AnalysisDb.open([dir]);
  try {
    return await trafficFigures(a);
  } finally {
    await a.close();
  }
}

/** Quantiles are computed in floating point on both sides: compared to 9 digits. */
const rounded = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(9)) : v)));

describe('pull and update traffic', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`matches plain loops over a random versioned dataset (seed ${seed})`, async () => {
      const ds = versioned(seed);
      const expected = referenceTraffic(ds);
      expect(expected.designs[0].updates).toBeGreaterThan(3);
      expect(rounded(await measured(ds))).toEqual(rounded(expected));
    });
  }

  for (const seed of [6, 7]) {
    it(`matches plain loops with three chunkers on every layer, one chunk_dedup row each (seed ${seed})`, async () => {
      const ds = threeChunkers(seed);
      const expected = referenceTraffic(ds);
      expect(expected.designs.filter((d) => d.design === 'chunk_dedup').map((d) => d.chunker)).toEqual([chunker, 'fixed-4096', 'rollsum-256']);
      const got = await measured(ds);
      expect(rounded(got)).toEqual(rounded(expected));
      // Every chunker cuts every content: each moves the bytes file_dedup moves, in more pieces.
      const file = got.designs.find((d) => d.design === 'file_dedup')!;
      for (const d of got.designs.filter((x) => x.design === 'chunk_dedup')) expect([d.pull_bytes_total, d.update_bytes_total]).toEqual([file.pull_bytes_total, file.update_bytes_total]);
    });
  }

  it('leaves images without created out of update pairs, and counts them in pulls', async () => {
    const ds = versioned(5);
    for (const img of ds.images) img.created = null;
    const t = await measured(ds);
    expect(t.designs.map((d) => [d.pulls, d.updates])).toEqual([[ds.images.length, 0], [ds.images.length, 0], [ds.images.length, 0]]);
  });
});
