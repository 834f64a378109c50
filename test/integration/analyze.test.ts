/**
 * `imgscan analyze` on datasets scanned from real images (umoci, skopeo and GNU tar fixtures): every figure of
 * summary.json against an independent computation from the layer blobs (gzip / zstd, tar, b3sum, sha256sum
 * via test/support/expected.ts) and plain loops (test/unit/analysis/reference.ts). Chunk rows are checked
 * against the bytes they name (b3sum of each chunk's byte range) before their figures are recomputed.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db, sqlString } from '../../src/store/duckdb.js';
import { run, runText } from '../support/exec.js';
import { expectedContentWaste, expectedFileMetrics, expectedImageLayers, expectedLayer, expectedLayerMetrics, type ExpectedImage, type ExpectedLayer } from '../support/expected.js';
import { buildFixtures, FIXTURE_PATHS as P, type Fixtures } from '../support/fixtures.js';
import { differences, referenceSummary, type RefChunk, type RefDataset } from '../unit/analysis/reference.js';
import { readChart, seriesOf } from '../unit/report/chart-data.js';
import { bucketOf } from '../unit/analysis/reference.js';
import { validate } from '../unit/analysis/schema-check.js';

const repo = join(import.meta.dirname, '..', '..');
const cli = join(repo, 'bin', 'run.js');
/** Three chunkers in one scan: FastCDC (min avg/4, max avg*4), fixed 4 KiB and the rolling sum at 4 KiB. */
const chunking = 'fastcdc:16k,fixed:4k,rollsum:4k';
const chunkers = ['fastcdc-16384-4096-65536', 'fixed-4096', 'rollsum-4096'];
const top = 20;

let work: string;
let fx: Fixtures;
let d1: string;
let d2: string;
let out: string;
let summary: any;
let images: ExpectedImage[];
let layers: ExpectedLayer[];
let ds: RefDataset;

async function imgscan(args: string[], okCodes = [0]) {
  return run(process.execPath, [cli, ...args], { cwd: repo, okCodes, timeoutMs: 240_000 });
}

/** Rows of one table of the data dirs, read plainly (no aggregation) with DuckDB. */
async function rows<T>(table: string, columns: string): Promise<T[]> {
  const db = await Db.open();
  try {
    const parts = [d1, d2].map((d) => sqlString(join(d, table, '*.parquet'))).join(', ');
    return (await db.all(`SELECT ${columns} FROM read_parquet([${parts}], union_by_name = true)`)).map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
    ) as T[];
  } finally {
    db.close();
  }
}

/**
 * Each chunk row must name real bytes: per chunker, the chunk sizes add up to the file and b3sum of each byte
 * range is its digest; fixed chunks are 4096 bytes but a file's tail.
 */
async function checkChunks(chunks: RefChunk[]): Promise<void> {
  const scratch = join(work, 'chunks');
  await run('mkdir', ['-p', scratch]);
  const slices: { file: string; digest: string }[] = [];
  for (const l of layers) {
    const tar = join(scratch, 'layer.tar');
    if (l.compression === 'none') await run('cp', [l.blob, tar]);
    else await run(l.compression === 'gzip' ? 'gzip' : 'zstd', ['-dc', l.blob], { stdoutFile: tar });
    const seen = new Map<string, number>();
    for (const e of l.entries) {
      const nth = (seen.get(e.name) ?? 0) + 1;
      seen.set(e.name, nth);
      if (e.entry_type !== 'file') continue;
      let bytes: Buffer | undefined;
      for (const chunker of chunkers) {
        const mine = chunks.filter((c) => c.layer_digest === l.layer_digest && c.entry_index === e.entry_index && c.chunker === chunker).sort((a, b) => a.chunk_index - b.chunk_index);
        expect(mine.reduce((s, c) => s + c.size, 0), `${e.path} ${chunker} chunk sizes`).toBe(e.size);
        expect(mine.map((c) => c.chunk_index)).toEqual(mine.map((_, i) => i));
        if (chunker === 'fixed-4096') expect(mine.map((c) => c.size)).toEqual(Array.from({ length: Math.ceil(e.size / 4096) }, (_, i) => Math.min(4096, e.size - i * 4096)));
        if (mine.length === 1) expect(mine[0].digest, e.path).toBe(e.digest);
        if (mine.length <= 1) continue;
        bytes ??= (await run('tar', ['-xOf', tar, '-P', '--no-wildcards', `--occurrence=${nth}`, '--', e.name], { env: { LC_ALL: 'C' } })).stdout;
        let at = 0;
        for (const c of mine) {
          const f = join(scratch, `s${slices.length}`);
          await writeFile(f, bytes.subarray(at, at + c.size));
          slices.push({ file: f, digest: c.digest });
          at += c.size;
        }
      }
    }
  }
  expect(slices.length).toBeGreaterThan(10);
  const sums = (await runText('b3sum', ['--no-names', ...slices.map((s) => s.file)])).trim().split('\n');
  expect(sums).toEqual(slices.map((s) => s.digest));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'imgscan-analyze-it-'));
  fx = await buildFixtures(join(work, 'fx'));
  const { main, zstd, mixed, multi } = fx.layouts;
  [d1, d2, out] = [join(work, 'data-1'), join(work, 'data-2'), join(work, 'report')];
  // Two shards of one dataset; app1 is in both, so its layers are stored twice.
  // No compression sample: the reference computes every figure but the estimates, which
  // test/integration/scan/compression-sample.test.ts checks against its own independent sums.
  await imgscan(['scan', `oci:${main.path}:base`, `oci:${main.path}:app1`, `oci:${main.path}:app2`, `oci:${zstd.path}:app1`, `oci:${mixed.path}:mixed`, '--data', d1, '--chunking', chunking, '--sample-rate', '0', '--workers', '0']);
  await imgscan(['scan', `oci:${main.path}:app1`, `oci:${multi.path}:multi`, '--data', d2, '--chunking', chunking, '--sample-rate', '0', '--workers', '0']);
  await imgscan(['analyze', '--data', d1, '--data', d2, '--out', out, '--top', String(top)]);
  summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));

  images = [
    await expectedImageLayers(main.path, 'base'),
    await expectedImageLayers(main.path, 'app1'),
    await expectedImageLayers(main.path, 'app2'),
    await expectedImageLayers(zstd.path, 'app1'),
    await expectedImageLayers(mixed.path, 'mixed'),
    await expectedImageLayers(multi.path, 'multi', { architecture: 'amd64' }),
    await expectedImageLayers(multi.path, 'multi', { architecture: 'arm64' }),
  ];
  const blobs = new Map(images.flatMap((i) => i.layers.map((l) => [l.layer_digest, l.blob] as const)));
  layers = [];
  for (const blob of blobs.values()) layers.push(await expectedLayer(blob));
  // A file's class follows from its first bytes; the scanner's classifier has its own tests, so the class of
  // each content is taken from the rows (and spot-checked below).
  const classes = new Map((await rows<{ digest: string; file_class: string }>('files', 'DISTINCT digest, file_class')).map((r) => [r.digest, r.file_class]));
  // Layers in both shards have their chunk rows twice: each row once.
  const chunks = await rows<RefChunk>('chunks', 'DISTINCT layer_digest, entry_index, chunk_index, digest, size, chunker');
  ds = {
    layers: layers.map((l) => ({
      layer_digest: l.layer_digest, compression: l.compression, compressed_size: l.compressed_size, tar_size: l.tar_size, chunker: chunkers.join(','),
      entries: l.entries.map((e) => ({ entry_index: e.entry_index, path: e.path, entry_type: e.entry_type, size: e.size, digest: e.digest, file_class: e.digest ? (classes.get(e.digest) ?? null) : null })),
    })),
    images: images.map((i) => ({
      manifest_digest: i.manifest_digest,
      refs: [{ registry: 'oci', repository: i.layout, tag: i.tag }],
      layers: i.layers.map((l) => ({ layer_digest: l.layer_digest, compressed_size: l.compressed_size })),
      created: i.created,
      history: i.history,
    })),
    chunks,
    failures: 0,
  };
  await checkChunks(chunks);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('analyze on scanned fixture images', () => {
  it('every figure of summary.json equals the independent computation', () => {
    const ref = referenceSummary(ds, top);
    expect(differences(summary, ref, '$', new Set(['allImages', 'chunk_dedup_note', 'source']))).toEqual([]);
    expect(summary.data_dirs).toEqual([d1, d2]);
    expect(summary.storage.chunk_dedup_note).toBeNull();
    // One scan, three chunkers: three chunk sets, three chunk designs.
    expect(summary.chunk.chunkers.map((c: { chunker: string }) => c.chunker)).toEqual(chunkers);
    for (const c of summary.chunk.chunkers) expect(c.chunk_bytes_total, c.chunker).toBe(c.files_size);
    expect(summary.storage.designs.filter((d: { design: string }) => d.design === 'chunk_dedup').map((d: { chunker: string }) => d.chunker)).toEqual(chunkers);
    expect(summary.traffic.designs.filter((d: { design: string }) => d.design === 'chunk_dedup').map((d: { chunker: string }) => d.chunker)).toEqual(chunkers);
    expect(summary.image.least_efficient.length).toBe(images.length);
  });

  it('agrees with the shared expected-value helpers too', () => {
    const f = expectedFileMetrics(layers);
    for (const k of ['files_total', 'files_distinct', 'file_bytes_total', 'file_bytes_distinct', 'distinct_file_fraction', 'singleton_file_fraction', 'file_dedup_ratio', 'file_dedup_savings', 'intra_layer', 'cross_layer', 'intra_layer_bytes', 'cross_layer_bytes'] as const) {
      expect(summary.file[k], k).toBeCloseTo(f[k], 12);
    }
    const l = expectedLayerMetrics(images.map((i) => i.layers));
    expect(summary.layer).toMatchObject({ layer_refs: l.layer_refs, layers_unique: l.layers_unique });
    expect(summary.layer.layer_dedup_ratio).toBeCloseTo(l.layer_dedup_ratio, 12);
    const byDigest = new Map(layers.map((x) => [x.layer_digest, x]));
    for (const i of images) {
      const row = summary.image.least_efficient.find((r: { manifest_digest: string }) => r.manifest_digest === i.manifest_digest);
      expect(row.content_waste, i.manifest_digest).toBe(expectedContentWaste(i.layers.map((x) => byDigest.get(x.layer_digest)!)));
    }
  });

  describe('covers the awkward cases', () => {
    const base = () => layers.find((l) => l.layer_digest === images[0].layers[0].layer_digest)!;

    it('duplicates inside one layer', () => {
      expect(summary.file.intra_layer).toBeGreaterThanOrEqual(P.dups.length - 1);
    });

    it('duplicates across images, listed with all their paths', () => {
      const payload = summary.file.top_duplicates.find((t: { paths: string[] }) => t.paths.includes(P.payload));
      expect(payload.paths).toEqual(expect.arrayContaining([P.payloadCopyApp1, P.payloadCopyApp2]));
    });

    it('whiteouts, opaque directories and rewritten files as path waste', () => {
      const size = (path: string) => base().entries.find((e) => e.path === path && e.entry_type === 'file')!.size;
      // app1: delete-me whited out, replace-me's files hidden by the opaque entry, fixture.conf rewritten.
      const app1 = summary.image.least_efficient.find((r: { manifest_digest: string }) => r.manifest_digest === images[1].manifest_digest);
      expect(app1.path_waste).toBe(size(P.deleted) + size(P.opaqueOld[0]) + size(P.opaqueOld[1]) + size(P.rewritten));
      expect(app1.image_efficiency).toBeCloseTo(1 - app1.path_waste / app1.files_size, 12);
    });

    it('hardlinks, which carry no content: files_total counts regular files only', () => {
      expect(base().entries.some((e) => e.entry_type === 'hardlink')).toBe(true);
      expect(summary.dataset.files_total).toBe(layers.reduce((s, l) => s + l.entries.filter((e) => e.entry_type === 'file').length, 0));
    });

    it('empty files: one distinct, no bytes', () => {
      const empty = summary.file.by_class.find((c: { file_class: string }) => c.file_class === 'empty');
      expect(empty.files_distinct).toBe(1);
      expect(empty.file_bytes_total).toBe(0);
    });

    it('file classes as the rows give them', () => {
      const classOf = (path: string) => ds.layers[0].entries.find((e) => e.path === path)?.file_class;
      expect([classOf(P.dups[0]), classOf(P.empty)]).toEqual(['text', 'empty']);
    });
  });

  it('the report renders: charts parse and plot the distributions of the blobs', async () => {
    const md = await readFile(join(out, 'report.md'), 'utf8');
    const links = [...md.matchAll(/!\[[^\]]+\]\(([^)]+\.svg)\)/g)].map((m) => m[1]);
    expect(links.length).toBe(7);
    for (const l of links) await readChart(await readFile(join(out, l), 'utf8'));
    const drawnFiles = seriesOf((await readChart(await readFile(join(out, 'file-sizes.svg'), 'utf8'))).sets.points).get('files')!;
    const sizes = layers.flatMap((l) => l.entries.filter((e) => e.entry_type === 'file').map((e) => bucketOf(e.size))).sort((a, b) => a - b);
    const xs = [...new Set(sizes)];
    const expected = xs.map((x) => [x, sizes.filter((s) => s <= x).length / sizes.length]);
    // A step CDF starts with a rise from 0 at the smallest value.
    expect(drawnFiles[0]).toEqual([xs[0], 0]);
    const plotted = drawnFiles.slice(1);
    expect(plotted.map((p: number[]) => p[0])).toEqual(xs);
    plotted.forEach((p: number[], i: number) => expect(p[1]).toBeCloseTo(expected[i][1], 12));
  });

  it('summary.json validates against its schema', async () => {
    const schema = JSON.parse(await readFile(join(repo, 'schemas', 'summary.schema.json'), 'utf8'));
    expect(validate(summary, schema)).toEqual([]);
  });

  it('--image prints one image and gates on thresholds', async () => {
    const ref = `oci:${fx.layouts.main.path}:app1`;
    const ok = await imgscan(['analyze', '--data', d1, '--data', d2, '--image', ref, '--max-path-waste', '1KiB', '--max-content-waste-fraction', '0.5']);
    expect(ok.stdout.toString()).toMatch(/image_efficiency [\d.]+%[\s\S]*result: PASS/);
    const failed = await imgscan(['analyze', '--data', d1, '--data', d2, '--image', ref, '--min-efficiency', '100%', '--json'], [4]);
    expect(failed.code).toBe(4);
    const result = JSON.parse(failed.stdout.toString());
    expect(result.passed).toBe(false);
    expect(result.images[0].path_waste).toBe(summary.image.least_efficient.find((r: { manifest_digest: string }) => r.manifest_digest === images[1].manifest_digest).path_waste);
    await expect(imgscan(['analyze', '--data', d1, '--image', 'oci:/nowhere:1'])).rejects.toThrow(/no image in the dataset matches/);
  });

  it('the notebook recomputes the headline figures from the Parquet files', async () => {
    const text = await readFile(join(repo, 'notebooks', 'headline-figures.md'), 'utf8');
    const cells = [...text.matchAll(/^```sql ([\w-]+)\n([\s\S]*?)^```$/gm)].map((m) => ({ name: m[1], sql: m[2] }));
    expect(cells[0].name).toBe('parameters');
    const db = await Db.open();
    const results: Record<string, Record<string, unknown>[]> = {};
    try {
      await db.run(`SET VARIABLE data_dirs = [${[d1, d2].map(sqlString).join(', ')}]`);
      for (const c of cells.slice(1)) {
        // A cell of statements (CREATE, SET) is run; a query cell keeps its result.
        if (/^\s*(CREATE|SET)\b/i.test(c.sql)) await db.run(c.sql);
        else results[c.name] = (await db.all(c.sql)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
      }
    } finally {
      db.close();
    }
    const near = (a: unknown, b: number, what: string) => expect(Number(a), what).toBeCloseTo(b, 9);
    const d = results.dataset[0];
    for (const k of ['images', 'image_refs', 'repositories', 'layer_refs', 'layers_unique', 'layers_read']) near(d[k], summary.dataset[k], k);
    near(results.layer_sharing[0].layer_dedup_ratio, summary.layer.layer_dedup_ratio, 'layer_dedup_ratio');
    near(results.layer_sharing[0].layer_sharing_savings, summary.layer.layer_sharing_savings, 'layer_sharing_savings');
    near(results.compression[0].compression_ratio_median, summary.layer.compression_ratio.find((c: { compression: string }) => c.compression === 'all').median, 'compression_ratio');
    for (const [k, v] of Object.entries(results.files[0])) near(v, summary.file[k], k);
    near(results.elf_share[0].elf_bytes_share, summary.file.by_class.find((c: { file_class: string }) => c.file_class === 'elf')?.bytes_share ?? 0, 'elf share');
    near(results.content_waste[0].content_waste, summary.image.content_waste, 'content_waste');
    const designs = Object.fromEntries(summary.storage.designs.map((x: { design: string; uncompressed_bytes: number }) => [x.design, x.uncompressed_bytes]));
    for (const k of ['per_image', 'layer_dedup', 'file_dedup']) near(results.storage[0][k], designs[k], k);
    expect(results.chunks.map((r) => r.chunker)).toEqual(chunkers);
    results.chunks.forEach((r, i) => near(r.chunk_dedup_ratio, summary.chunk.chunkers[i].chunk_dedup_ratio, `chunk_dedup_ratio ${r.chunker}`));
  });
});
