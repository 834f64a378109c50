import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeDataset } from '../../../src/analysis/analyze.js';
import { Db, sqlString } from '../../../src/store/duckdb.js';
import { listParts } from '../../../src/store/parts.js';
import { entry, file, image, layer, randomDataset, writeRows } from './build.js';
import { differences, referencePathWaste, referenceSummary, type RefChunk, type RefDataset } from './reference.js';

const root = mkdtempSync(join(tmpdir(), 'imgscan-analyze-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(root, `d${n++}`);

/** summary.json figures against the reference; report-only text (data_dirs, notes, sources) is left out. */
async function expectMatches(dirs: string[], ds: RefDataset, top = 20): Promise<void> {
  const a = await analyzeDataset({ dataDirs: dirs, top });
  const ref = referenceSummary(ds, top);
  expect(differences(a.summary, ref, '$', new Set(['allImages', 'chunk_dedup_note', 'source']))).toEqual([]);
  expect(a.summary.storage.chunk_dedup_note === null).toBe(ref.storage.chunk_dedup_note === null);
  expect(differences(a.images, ref.allImages)).toEqual([]);
}

// Layers exercising the overlay rules one by one (paths as the scanner normalizes them).
const base = layer('base', [
  entry('etc', 'dir'),
  file('etc/conf', 'conf v1', 300),
  file('etc/gone', 'gone', 200),
  entry('opt', 'dir'),
  entry('opt/app', 'dir'),
  file('opt/app/lib.so', 'lib', 5000, 'elf'),
  file('opt/app/copy.so', 'lib', 5000, 'elf'), // the same content twice in one layer
  entry('opt/old', 'dir'),
  file('opt/old/a', 'old a', 700),
  file('opt/old/b', 'old b', 900),
  entry('var', 'dir'),
  entry('var/cache', 'dir'),
  file('var/cache/x', 'cache x', 1200),
  file('empty-1', 'e1', 0),
  file('empty-2', 'e2', 0),
  entry('hard', 'hardlink'),
  file('swap', 'swap', 400),
]);
const upper = layer('upper', [
  entry('etc', 'dir'),
  file('etc/conf', 'conf v2', 310), // rewritten with other bytes
  entry('etc/.wh.gone', 'whiteout'), // deleted
  entry('opt', 'dir'),
  entry('opt/old/.wh..wh..opq', 'opaque'), // hides a and b
  file('opt/old/c', 'old c', 50),
  entry('var/.wh.cache', 'whiteout'), // deletes a directory
  file('opt/app/lib2.so', 'lib', 5000, 'elf'), // content again, other path
  entry('swap', 'dir'), // a file replaced by a directory
], { compression: 'zstd' });
const top = layer('top', [
  file('twice', 'first', 80),
  file('twice', 'second', 90), // the same path twice in one layer, no other layer: not path waste
  entry('opt/app', 'symlink'), // a directory replaced by a symlink
  file('etc/conf', 'conf v2', 310), // the same bytes again at the same path
], { compression: 'none' });

describe('analyze over hand-made datasets', () => {
  it('the reference overlay model follows the definitions', () => {
    // whiteout 200 + opaque 700 + 900 + deleted directory 1200 + rewritten 300 + replaced file 400
    expect(referencePathWaste([base, upper])).toBe(200 + 700 + 900 + 1200 + 300 + 400);
    // ... and in the top layer: conf v2 rewritten (310), the app directory replaced (5000 + 5000 + 5000)
    expect(referencePathWaste([base, upper, top])).toBe(200 + 700 + 900 + 1200 + 300 + 400 + 310 + 15000);
    expect(referencePathWaste([top])).toBe(0);
    expect(referencePathWaste([base, base])).toBe(300 + 200 + 5000 + 5000 + 700 + 900 + 1200 + 400);
  });

  it('every figure matches the reference: overlay rules, sharing, missing layers, failures', async () => {
    const missing = layer('never read', [file('m', 'm', 10)]);
    const ds: RefDataset = {
      layers: [base, upper, top],
      images: [
        image('base', [base]),
        image('app', [base, upper], [{ registry: 'oci', repository: '/layouts/app', tag: '1.0' }, { registry: 'oci', repository: '/layouts/app', tag: 'latest' }]),
        image('full', [base, upper, top]),
        image('twice', [base, base]), // one layer at two positions
        image('top-only', [top]),
        image('partial', [base, missing]),
      ],
      chunks: [],
      failures: 2,
    };
    const dir = newDir();
    await writeRows(dir, { layers: ds.layers, images: ds.images, failures: 2 });
    await expectMatches([dir], ds);
    await expectMatches([dir], ds, 2); // short top-N tables keep the order and tie rules
  });

  it('layers, images and refs stored more than once (shards, reruns) count once', async () => {
    const ds: RefDataset = { layers: [base, upper, top], images: [image('app', [base, upper]), image('full', [base, upper, top])], chunks: [], failures: 0 };
    const [d1, d2] = [newDir(), newDir()];
    await writeRows(d1, { layers: [base, upper], images: [ds.images[0]] });
    await writeRows(d1, { layers: [upper, top], images: [ds.images[1]] }); // upper twice in one dir
    await writeRows(d2, { layers: [base, upper, top], images: ds.images }); // and everything again in a shard
    await expectMatches([d1, d2], ds);
  });

  it('a layer no stored image lists counts nowhere; a ref counts once whatever it resolved to; sparse holes are not metadata', async () => {
    // A 1 MiB sparse file whose holes are not in the tar.
    const sparse = layer('sparse', [file('var/log/lastlog', 'holes', 1 << 20)], { sparse_hole_size: (1 << 20) - 4096 });
    const orphan = layer('read for an image that failed', [file('o', 'orphan', 777)]);
    const ds: RefDataset = {
      layers: [base, sparse, orphan],
      images: [
        image('v1', [base], [{ registry: 'registry.test', repository: 'app', tag: 'latest' }]),
        // The same tag resolved to another image later, and a ref by digest.
        image('v2', [base, sparse], [{ registry: 'registry.test', repository: 'app', tag: 'latest' }, { registry: 'registry.test', repository: 'app', tag: null }]),
      ],
      chunks: [],
      failures: 1,
    };
    const dir = newDir();
    await writeRows(dir, { layers: ds.layers, images: ds.images, failures: 1 });
    await expectMatches([dir], ds);
    const { summary } = await analyzeDataset({ dataDirs: [dir], top: 5 });
    expect(summary.dataset.layers_read).toBe(2);
    expect(summary.dataset.files_total).toBe(base.entries.filter((e) => e.entry_type === 'file').length + 1);
    expect(summary.dataset.image_refs).toBe(2);
    const fileDedup = summary.storage.designs.find((d) => d.design === 'file_dedup')!;
    // Everything in the tars but the file bytes they store: the sparse file stores 4096 of its bytes.
    const stored = (l: typeof base) => l.entries.reduce((sum, e) => sum + (e.entry_type === 'file' ? e.size : 0), 0) - (l.sparse_hole_size ?? 0);
    expect(fileDedup.metadata_bytes).toBe(base.tar_size - stored(base) + sparse.tar_size - stored(sparse));
    expect(stored(sparse)).toBe(4096);
    expect(fileDedup.metadata_bytes).toBeGreaterThan(0);
  });

  it('a dataset written before a column existed reads it as NULL (layers without sparse_hole_size)', async () => {
    const ds: RefDataset = { layers: [base, upper], images: [image('app', [base, upper])], chunks: [], failures: 0 };
    const dir = newDir();
    await writeRows(dir, { layers: ds.layers, images: ds.images });
    const db = await Db.open(':memory:');
    try {
      for (const part of listParts(dir, 'layers')) {
        await db.run(`COPY (SELECT * EXCLUDE (sparse_hole_size) FROM read_parquet(${sqlString(part)})) TO ${sqlString(`${part}.old`)} (FORMAT parquet)`);
        renameSync(`${part}.old`, part);
      }
      const [cols] = await db.all<{ n: bigint }>(`SELECT count(*) AS n FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(listParts(dir, 'layers')[0]!)})) WHERE column_name = 'sparse_hole_size'`);
      expect(Number(cols!.n)).toBe(0);
    } finally {
      db.close();
    }
    await expectMatches([dir], ds);
  });

  it('files written before the content keys: every figure the same, alone and beside parts that have them', async () => {
    const ds = randomDataset(3);
    const [old, current] = [newDir(), newDir()];
    await writeRows(old, { layers: ds.layers, images: ds.images });
    await writeRows(current, { layers: ds.layers, images: ds.images });
    const db = await Db.open(':memory:');
    try {
      for (const part of listParts(old, 'files')) {
        await db.run(`COPY (SELECT * EXCLUDE (content_key1, content_key2) FROM read_parquet(${sqlString(part)})) TO ${sqlString(`${part}.old`)} (FORMAT parquet)`);
        renameSync(`${part}.old`, part);
      }
      const columns = async (dir: string) => (await db.all<{ column_name: string }>(`DESCRIBE SELECT * FROM read_parquet(${sqlString(listParts(dir, 'files')[0]!)})`)).map((c) => c.column_name);
      expect(await columns(old)).not.toContain('content_key1');
      expect(await columns(current)).toContain('content_key1');
    } finally {
      db.close();
    }
    await expectMatches([old], ds, 5);
    // Every layer stored twice, once with keys and once without: the keys then come from the digests everywhere.
    await expectMatches([old, current], ds, 5);
  });

  it('an empty dataset gives zeros, not errors', async () => {
    const dir = newDir();
    await writeRows(dir, {});
    const ds: RefDataset = { layers: [], images: [], chunks: [], failures: 0 };
    await expectMatches([dir], ds);
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`random overlays agree with the reference (seed ${seed})`, async () => {
      const ds = randomDataset(seed);
      const dir = newDir();
      await writeRows(dir, { layers: ds.layers, images: ds.images });
      await expectMatches([dir], ds, 5);
    });
  }

  // Hand-made layers (every one, or about half): no entries for the directories above their entries, so a
  // directory another layer replaces or deletes may exist only implicitly everywhere.
  for (const [seed, implicit] of [[11, 1], [12, 1], [13, 1], [14, 0.5], [15, 0.5], [16, 0.5]]) {
    it(`random overlays with implicit directories agree with the reference (seed ${seed}, ${implicit * 100}% hand-made)`, async () => {
      const ds = randomDataset(seed, 14, 12, implicit);
      const dir = newDir();
      await writeRows(dir, { layers: ds.layers, images: ds.images });
      await expectMatches([dir], ds, 5);
    });
  }
});

describe('chunk level', () => {
  const chunker = 'fastcdc-16384-4096-65536';
  const a = layer('chunked a', [file('f1', 'one', 40000), file('f2', 'two', 100)], { chunker });
  const b = layer('chunked b', [file('g1', 'one', 40000), file('g2', 'three', 30000)], { chunker });
  const chunks: RefChunk[] = [
    { layer_digest: a.layer_digest, entry_index: 0, chunk_index: 0, digest: 'c1', size: 20000 },
    { layer_digest: a.layer_digest, entry_index: 0, chunk_index: 1, digest: 'c2', size: 20000 },
    { layer_digest: a.layer_digest, entry_index: 1, chunk_index: 0, digest: 'c3', size: 100 },
    { layer_digest: b.layer_digest, entry_index: 0, chunk_index: 0, digest: 'c1', size: 20000 },
    { layer_digest: b.layer_digest, entry_index: 0, chunk_index: 1, digest: 'c2', size: 20000 },
    { layer_digest: b.layer_digest, entry_index: 1, chunk_index: 0, digest: 'c4', size: 10000 },
    { layer_digest: b.layer_digest, entry_index: 1, chunk_index: 1, digest: 'c1', size: 20000 }, // shared with other files
  ];

  it('chunk_dedup_ratio, with the chunker and its sizes, and the chunk_dedup design when every layer was chunked', async () => {
    const ds: RefDataset = { layers: [a, b], images: [image('x', [a, b])], chunks, failures: 0 };
    const dir = newDir();
    await writeRows(dir, { layers: ds.layers, images: ds.images, chunks });
    await expectMatches([dir], ds);
    const r = await analyzeDataset({ dataDirs: [dir] });
    expect(r.summary.chunk.chunkers[0]).toMatchObject({ chunker, algorithm: 'fastcdc', avg: 16384, min: 4096, max: 65536 });
    expect(r.summary.storage.designs.map((d) => d.design)).toContain('chunk_dedup');
  });

  it('several chunkers per layer: chunk figures per chunker, and a chunk_dedup row for each that chunked every layer', async () => {
    // Three chunkers on layers x and y, only the fixed one on z: each chunker's rows are its own.
    const three = 'fastcdc-16384-4096-65536,fixed-4096,rollsum-256';
    const x = layer('three x', [file('f1', 'one', 40000), file('f2', 'two', 100)], { chunker: three });
    const y = layer('three y', [file('g1', 'one', 40000), file('g2', 'three', 9000)], { chunker: three });
    const z = layer('fixed z', [file('h1', 'two', 100)], { chunker: 'fixed-4096' });
    const cut = (l: typeof x, name: string, piece: number): RefChunk[] =>
      l.entries.flatMap((e) => Array.from({ length: Math.ceil(e.size / piece) }, (_, k) => ({
        layer_digest: l.layer_digest, entry_index: e.entry_index, chunk_index: k, digest: `${e.digest} ${piece} ${k}`, size: Math.min(piece, e.size - k * piece), chunker: name,
      })));
    const chunksOf = (l: typeof x) => [...cut(l, 'fastcdc-16384-4096-65536', 16384), ...cut(l, 'fixed-4096', 4096), ...cut(l, 'rollsum-256', 256)];
    const ds: RefDataset = { layers: [x, y, z], images: [image('three', [x, y]), image('fixed', [z])], chunks: [...chunksOf(x), ...chunksOf(y), ...cut(z, 'fixed-4096', 4096)], failures: 0 };
    const dir = newDir();
    await writeRows(dir, { layers: ds.layers, images: ds.images, chunks: ds.chunks });
    await expectMatches([dir], ds);
    const r = await analyzeDataset({ dataDirs: [dir] });
    expect(r.summary.chunk.chunkers.map((c) => [c.chunker, c.algorithm, c.avg, c.min, c.max, c.layers])).toEqual([
      ['fastcdc-16384-4096-65536', 'fastcdc', 16384, 4096, 65536, 2],
      ['fixed-4096', 'fixed', 4096, null, 4096, 3],
      ['rollsum-256', 'rollsum', 256, null, null, 2],
    ]);
    // Every chunker's chunks add up to the file bytes of the layers it chunked.
    for (const c of r.summary.chunk.chunkers) expect(c.chunk_bytes_total).toBe(c.files_size);
    const chunkRows = r.summary.storage.designs.filter((d) => d.design === 'chunk_dedup');
    expect(chunkRows.map((d) => [d.chunker, d.chunk_ref_bytes])).toEqual([['fixed-4096', 32]]);
    expect(r.summary.storage.chunk_dedup_note).toBe('fastcdc-16384-4096-65536 chunked only 2 of 3 layers read; rollsum-256 chunked only 2 of 3 layers read: no chunk_dedup row for them');

    // Without z every chunker covers every layer: three chunk_dedup rows, no note.
    const both = newDir();
    const ds2: RefDataset = { layers: [x, y], images: [image('three', [x, y])], chunks: [...chunksOf(x), ...chunksOf(y)], failures: 0 };
    await writeRows(both, { layers: ds2.layers, images: ds2.images, chunks: ds2.chunks });
    await expectMatches([both], ds2);
    const s = (await analyzeDataset({ dataDirs: [both] })).summary;
    expect(s.storage.designs.filter((d) => d.design === 'chunk_dedup').map((d) => d.chunker)).toEqual(['fastcdc-16384-4096-65536', 'fixed-4096', 'rollsum-256']);
    expect(s.storage.chunk_dedup_note).toBeNull();
    for (const d of s.storage.designs) expect(d.compressed_bytes === null).toBe(d.design === 'file_dedup' || d.design === 'chunk_dedup');
  });

  it('a dataset written before chunks had a chunker column analyzes with the chunker of each layer', async () => {
    const ds: RefDataset = { layers: [a, b], images: [image('old', [a, b])], chunks, failures: 0 };
    const dir = newDir();
    await writeRows(dir, { layers: ds.layers, images: ds.images, chunks });
    const db = await Db.open(':memory:');
    try {
      for (const part of listParts(dir, 'chunks')) {
        await db.run(`COPY (SELECT * EXCLUDE (chunker) FROM read_parquet(${sqlString(part)})) TO ${sqlString(`${part}.old`)} (FORMAT parquet)`);
        renameSync(`${part}.old`, part);
      }
      const [cols] = await db.all<{ n: bigint }>(`SELECT count(*) AS n FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(listParts(dir, 'chunks')[0]!)})) WHERE column_name = 'chunker'`);
      expect(Number(cols!.n)).toBe(0);
    } finally {
      db.close();
    }
    await expectMatches([dir], ds);
    const r = await analyzeDataset({ dataDirs: [dir] });
    expect(r.summary.storage.designs.filter((d) => d.design === 'chunk_dedup').map((d) => d.chunker)).toEqual([chunker]);
    expect(r.summary.traffic.designs.filter((d) => d.design === 'chunk_dedup').map((d) => d.chunker)).toEqual([chunker]);
  });

  it('no chunk data, or chunk data for some layers only, leaves chunk_dedup out with a note', async () => {
    const plain = layer('plain', [file('p', 'p', 10)]);
    const ds: RefDataset = { layers: [a, plain], images: [image('y', [a, plain])], chunks: chunks.slice(0, 3), failures: 0 };
    const dir = newDir();
    await writeRows(dir, { layers: ds.layers, images: ds.images, chunks: ds.chunks });
    await expectMatches([dir], ds);
    const r = await analyzeDataset({ dataDirs: [dir] });
    expect(r.summary.storage.chunk_dedup_note).toMatch(/only 1 of 2 layers/);
    const none = newDir();
    await writeRows(none, { layers: [plain], images: [image('z', [plain])] });
    const s = (await analyzeDataset({ dataDirs: [none] })).summary;
    expect(s.chunk.available).toBe(false);
    expect(s.storage.chunk_dedup_note).toMatch(/no chunk data/);
  });
});
