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
import { trafficFigures, type RestoreRow, type TrafficRow } from '../../../src/analysis/traffic.js';
import { prng, randomDataset, sha, writeRows } from './build.js';
import { quantileOf, type RefChunk, type RefDataset, type RefImage } from './reference-model.js';

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

interface Pull { units: number; bytes: number }

/** The reference: plain loops over the rows. */
function reference(ds: RefDataset): { designs: TrafficRow[]; restore: RestoreRow[] } {
  const layerOf = new Map(ds.layers.map((l) => [l.layer_digest, l]));
  const blobs = (img: RefImage) => [...new Map(img.layers.map((l) => [l.layer_digest, l.compressed_size])).entries()];
  const contents = (digests: string[]) => {
    const out = new Map<string, number>();
    for (const d of digests) for (const e of layerOf.get(d)?.entries ?? []) if (e.entry_type === 'file') out.set(e.digest!, e.size);
    return out;
  };
  const chunks = (digests: string[]) => new Map(ds.chunks.filter((c) => digests.includes(c.layer_digest)).map((c) => [c.digest, c.size]));
  const sum = (m: Iterable<number>) => [...m].reduce((n, v) => n + v, 0);

  // Version series: per repository, images with `created`, by created then manifest digest.
  const byRepo = new Map<string, RefImage[]>();
  for (const img of ds.images) for (const r of img.refs) {
    if (!img.created) continue;
    const key = `${r.registry}/${r.repository}`;
    const list = byRepo.get(key) ?? [];
    if (!list.includes(img)) list.push(img);
    byRepo.set(key, list);
  }
  const pairs: [RefImage, RefImage][] = [];
  for (const list of byRepo.values()) {
    list.sort((x, y) => x.created!.getTime() - y.created!.getTime() || (x.manifest_digest < y.manifest_digest ? -1 : 1));
    for (let i = 1; i < list.length; i++) if (list[i - 1] !== list[i]) pairs.push([list[i - 1], list[i]]);
  }

  const pullOf = { layer: (img: RefImage): Pull => ({ units: blobs(img).length, bytes: sum(blobs(img).map(([, s]) => s)) }),
    file: (img: RefImage): Pull => { const c = contents(blobs(img).map(([d]) => d)); return { units: c.size, bytes: sum(c.values()) }; },
    chunk: (img: RefImage): Pull => { const c = chunks(blobs(img).map(([d]) => d)); return { units: c.size, bytes: sum(c.values()) }; } };
  const updateOf = (prev: RefImage, next: RefImage) => {
    const old = new Set(prev.layers.map((l) => l.layer_digest));
    const fresh = blobs(next).filter(([d]) => !old.has(d));
    const had = contents([...old]);
    const hadChunks = chunks([...old]);
    const newContents = [...contents(fresh.map(([d]) => d))].filter(([h]) => !had.has(h));
    const newChunks = [...chunks(fresh.map(([d]) => d))].filter(([h]) => !hadChunks.has(h));
    return {
      layer: { units: fresh.length, bytes: sum(fresh.map(([, s]) => s)) },
      file: { units: newContents.length, bytes: sum(newContents.map(([, s]) => s)) },
      chunk: { units: newChunks.length, bytes: sum(newChunks.map(([, s]) => s)) },
      restored: fresh.map(([d]) => layerOf.get(d)).filter((l) => l !== undefined),
    };
  };
  const row = (design: TrafficRow['design'], pulls: Pull[], updates: Pull[]): TrafficRow => ({
    design, chunker: design === 'chunk_dedup' ? chunker : null, compressed: design === 'layer_dedup',
    pulls: pulls.length, pull_bytes_median: quantileOf(pulls.map((p) => p.bytes), 0.5), pull_bytes_p90: quantileOf(pulls.map((p) => p.bytes), 0.9), pull_bytes_total: sum(pulls.map((p) => p.bytes)),
    updates: updates.length, update_bytes_median: quantileOf(updates.map((p) => p.bytes), 0.5), update_bytes_p90: quantileOf(updates.map((p) => p.bytes), 0.9), update_bytes_total: sum(updates.map((p) => p.bytes)),
  });
  const updates = pairs.map(([p, n]) => updateOf(p, n));
  const restoreRow = (kind: RestoreRow['kind'], sets: (typeof ds.layers)[]): RestoreRow => ({
    kind, count: sets.length, layers_total: sum(sets.map((s) => s.length)),
    tar_bytes_median: quantileOf(sets.map((s) => sum(s.map((l) => l.tar_size))), 0.5), tar_bytes_p90: quantileOf(sets.map((s) => sum(s.map((l) => l.tar_size))), 0.9),
    tar_bytes_total: sum(sets.map((s) => sum(s.map((l) => l.tar_size)))), files_total: sum(sets.map((s) => sum(s.map((l) => l.entries.filter((e) => e.entry_type === 'file').length)))),
  });
  return {
    designs: [
      row('layer_dedup', ds.images.map(pullOf.layer), updates.map((u) => u.layer)),
      row('file_dedup', ds.images.map(pullOf.file), updates.map((u) => u.file)),
      row('chunk_dedup', ds.images.map(pullOf.chunk), updates.map((u) => u.chunk)),
    ],
    restore: [
      restoreRow('pull', ds.images.map((img) => blobs(img).map(([d]) => layerOf.get(d)).filter((l) => l !== undefined))),
      restoreRow('update', updates.map((u) => u.restored)),
    ],
  };
}

async function measured(ds: RefDataset) {
  const dir = mkdtempSync(join(tmpdir(), 'imgscan-traffic-'));
  dirs.push(dir);
  await writeRows(dir, ds);
  const a = await AnalysisDb.open([dir]);
  try {
    return await trafficFigures(a);
  } finally {
    a.close();
  }
}

/** Quantiles are computed in floating point on both sides: compared to 9 digits. */
const rounded = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(9)) : v)));

describe('pull and update traffic', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`matches plain loops over a random versioned dataset (seed ${seed})`, async () => {
      const ds = versioned(seed);
      const expected = reference(ds);
      expect(expected.designs[0].updates).toBeGreaterThan(3);
      expect(rounded(await measured(ds))).toEqual(rounded(expected));
    });
  }

  it('leaves images without created out of update pairs, and counts them in pulls', async () => {
    const ds = versioned(5);
    for (const img of ds.images) img.created = null;
    const t = await measured(ds);
    expect(t.designs.map((d) => [d.pulls, d.updates])).toEqual([[ds.images.length, 0], [ds.images.length, 0], [ds.images.length, 0]]);
  });
});
