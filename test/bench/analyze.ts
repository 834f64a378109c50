// A synthetic dataset for the analyze benchmark, generated inside DuckDB (range() and hash functions, no
// randomness: the same parameters always give the same Parquet files).
//
// Shape, loosely after the Docker Hub study: file contents are drawn with a heavy skew (a few contents in very
// many layers, most contents rare), sizes are log-normal and fixed per content, layers vary in size, images
// have 1-13 layers whose lower positions reuse a small pool of popular base layers. About 85% of the rows are
// files; the rest are directories, symlinks, hardlinks, whiteouts and a few opaque directories.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeDataset } from '../../src/analysis/analyze.js';
import { reportFormats } from '../../src/report/redundancy/formats.js';
import { redundancyReport } from '../../src/report/redundancy/index.js';
import { chartScripts, writeReport } from '../../src/report/write.js';
import { datasetSchema, generatedColumns } from '../../src/model/schema.js';
import { Db, sqlString } from '../../src/store/duckdb.js';
import { CONTENTION_RULE, figure, interleave, shown } from './measure.js';

export interface SyntheticOptions {
  /** Rows of the files table (all entry types). */
  rows: number;
  images: number;
  /** Images are versions of 1,700 repositories, with created times (for pull and update traffic). */
  versions: true;
  /** Distinct contents to draw from. */
  contents: number;
  /** Also write a chunks table (about one chunk per 16 KiB of file content). */
  chunks?: boolean;
}

const u = (x: string, salt: number) => `((hash(${x}, ${salt}) >> 11)::DOUBLE / 9007199254740992.0)`;

export async function generateDataset(dir: string, o: SyntheticOptions): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  for (const t of ['images', 'image_refs', 'image_layers', 'layers', 'files', 'chunks']) mkdirSync(join(dir, t), { recursive: true });
  const db = await Db.open(':memory:');
  const out = (t: string) => sqlString(join(dir, t, 'synthetic-000000.parquet'));
  const copy = (t: string, sql: string) => db.run(`COPY (${sql}) TO ${out(t)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
  try {
    // Images and their layers: position p of image i picks a layer number; low positions favour a small pool.
    await db.run(`CREATE TABLE img AS SELECT i, 1 + floor(13 * pow(${u('i', 1)}, 1.6))::INTEGER AS n FROM range(${o.images}) t(i)`);
    await db.run(`CREATE TABLE refs AS
      SELECT i, p, (floor(${o.images * 3} * pow(${u('i * 64 + p', 2)}, CASE WHEN p = 0 THEN 6 WHEN p < 3 THEN 3 ELSE 1 END)) * 7919 + 13)::BIGINT % ${o.images * 3} AS layer_no
      FROM img, range(n) t(p)`);
    await db.run(`CREATE TABLE lyr AS SELECT layer_no, (row_number() OVER (ORDER BY hash(layer_no)) - 1)::BIGINT AS dense FROM (SELECT DISTINCT layer_no FROM refs)`);
    const layers = Number((await db.all<{ n: bigint }>('SELECT count(*) AS n FROM lyr'))[0]!.n);
    // Entries: layers of skewed sizes, made of blocks of 50 entries. 90% of the blocks are one of the shared
    // "packages" (drawn with a Zipf-like skew, the same files at the same paths wherever they occur), the rest
    // hold contents found nowhere else. One pooled content in 997 is the empty file.
    const packages = Math.max(10, Math.round(o.contents / 100));
    await db.run(`CREATE TABLE ent AS SELECT r, floor(${layers} * pow(${u('r', 3)}, 1.4))::BIGINT AS dense, ${u('r', 4)} AS t FROM range(${o.rows}) t(r)`);
    await db.run(`CREATE TABLE fil AS
      SELECT layer_no, entry_index, r, t, CASE WHEN cid >= 0 AND cid < ${packages * 50} AND cid % 997 = 0 THEN -1 ELSE cid END AS cid
      FROM (
        SELECT l.layer_no, e.r, e.t, (row_number() OVER (PARTITION BY e.dense ORDER BY e.r) - 1)::INTEGER AS entry_index, e.dense
        FROM ent e JOIN lyr l USING (dense)
      ), LATERAL (SELECT dense * 100003 + entry_index // 50 AS block),
      LATERAL (SELECT CASE WHEN ${u('block', 5)} < 0.9 THEN floor(${packages} * pow(${u('block', 12)}, 2))::BIGINT * 50 + entry_index % 50
                           ELSE ${packages * 50} + r END AS cid)`);
    await db.run(`ALTER TABLE fil ADD COLUMN entry_type VARCHAR`);
    await db.run(`UPDATE fil SET entry_type = CASE WHEN t < 0.85 THEN 'file' WHEN t < 0.95 THEN 'dir' WHEN t < 0.985 THEN 'symlink' WHEN t < 0.99 THEN 'hardlink'
             WHEN t < 0.9998 THEN 'whiteout' ELSE 'opaque' END`);
    await db.run(`ALTER TABLE fil ADD COLUMN dir VARCHAR`);
    await db.run(`UPDATE fil SET dir = 'usr/share/d' || (abs(cid) % 2000)`);
    // The generated columns (the content keys) as the writer's COPY makes them.
    await copy('files', `SELECT *, ${generatedColumns('files').join(', ')} FROM (
      SELECT 'sha256:' || sha256('layer' || layer_no) AS layer_digest, entry_index,
        CASE entry_type WHEN 'file' THEN CASE WHEN hash(r, 13) % 10 = 0 THEN 'etc/conf' || (hash(r, 14) % 5000) ELSE dir || '/f' || cid END WHEN 'dir' THEN dir WHEN 'symlink' THEN 'usr/bin/l' || cid
          WHEN 'hardlink' THEN 'usr/lib/h' || cid
          WHEN 'whiteout' THEN CASE WHEN cid % 50 = 0 THEN 'usr/share/.wh.d' || (abs(cid) % 2000) ELSE dir || '/.wh.f' || cid END
          ELSE dir || '/.wh..wh..opq' END AS path,
        entry_type,
        CASE WHEN entry_type = 'file' AND cid >= 0 THEN least(floor(exp(8.0 + 2.2 * sqrt(-2 * ln(${u('cid', 7)} + 1e-12)) * cos(2 * pi() * ${u('cid', 8)}))), 268435456)::BIGINT ELSE 0 END AS size,
        CASE WHEN entry_type = 'file' THEN sha256('content' || cid) END AS digest,
        CASE WHEN entry_type <> 'file' THEN NULL WHEN cid < 0 THEN 'empty'
          ELSE ['elf', 'elf', 'text', 'text', 'text', 'script', 'archive', 'python-bytecode', 'image', 'other'][1 + (hash(cid, 9) % 10)::INTEGER] END AS file_class,
        420 AS mode, 0::BIGINT AS uid, 0::BIGINT AS gid, 1700000000.0 AS mtime,
        CASE WHEN entry_type IN ('symlink', 'hardlink') THEN dir || '/f' || cid END AS link_target,
        NULL::INTEGER AS dev_major, NULL::INTEGER AS dev_minor,
        -- The compression sample: 1% of the contents, chosen by content; ratios between 1.2x and 5x by content.
        CASE WHEN entry_type = 'file' AND cid >= 0 AND hash(cid, 15) % 100 = 0 THEN greatest(20, floor(least(floor(exp(8.0 + 2.2 * sqrt(-2 * ln(${u('cid', 7)} + 1e-12)) * cos(2 * pi() * ${u('cid', 8)}))), 268435456) / (1.2 + 3.8 * ${u('cid', 16)})))::BIGINT END AS gzip_size,
        CASE WHEN entry_type = 'file' AND cid >= 0 AND hash(cid, 15) % 100 = 0 THEN greatest(20, floor(least(floor(exp(8.0 + 2.2 * sqrt(-2 * ln(${u('cid', 7)} + 1e-12)) * cos(2 * pi() * ${u('cid', 8)}))), 268435456) / (1.25 + 3.9 * ${u('cid', 16)})))::BIGINT END AS zstd_size
      FROM fil)`);
    await db.run(`CREATE VIEW files AS SELECT * FROM read_parquet(${out('files')})`);
    await db.run(`CREATE TABLE lsum AS
      SELECT layer_digest, count(*)::INTEGER AS entry_count, sum(size)::BIGINT AS files_size,
        (sum(512 + ceil(size / 512) * 512) + 1024)::BIGINT AS tar_size,
        count(*) FILTER (WHERE entry_type = 'file')::INTEGER AS file_count, count(*) FILTER (WHERE entry_type = 'dir')::INTEGER AS dir_count,
        count(*) FILTER (WHERE entry_type = 'symlink')::INTEGER AS symlink_count, count(*) FILTER (WHERE entry_type = 'hardlink')::INTEGER AS hardlink_count,
        count(*) FILTER (WHERE entry_type = 'whiteout')::INTEGER AS whiteout_count, count(*) FILTER (WHERE entry_type = 'opaque')::INTEGER AS opaque_count
      FROM files GROUP BY layer_digest`);
    await db.run(`CREATE TABLE lrow AS
      SELECT l.layer_no, 'sha256:' || sha256('layer' || l.layer_no) AS layer_digest, 'sha256:' || sha256('diff' || l.layer_no) AS diff_id,
        CASE WHEN ${u('l.layer_no', 10)} < 0.85 THEN 'gzip' WHEN ${u('l.layer_no', 10)} < 0.97 THEN 'zstd' ELSE 'none' END AS compression,
        coalesce(s.tar_size, 1024) AS tar_size, coalesce(s.files_size, 0) AS files_size, coalesce(s.entry_count, 0) AS entry_count,
        coalesce(s.file_count, 0) AS file_count, coalesce(s.dir_count, 0) AS dir_count, coalesce(s.symlink_count, 0) AS symlink_count,
        coalesce(s.hardlink_count, 0) AS hardlink_count, coalesce(s.whiteout_count, 0) AS whiteout_count, coalesce(s.opaque_count, 0) AS opaque_count
      FROM lyr l LEFT JOIN lsum s ON s.layer_digest = 'sha256:' || sha256('layer' || l.layer_no)`);
    await db.run(`ALTER TABLE lrow ADD COLUMN compressed_size BIGINT`);
    await db.run(`UPDATE lrow SET compressed_size = CASE WHEN compression = 'none' THEN tar_size ELSE greatest(32, floor(tar_size / (1.3 + 3 * ${u('layer_no', 11)})))::BIGINT END`);
    await copy('layers', `SELECT layer_digest, diff_id, compression, compressed_size, tar_size, files_size, entry_count, file_count, dir_count,
        symlink_count, hardlink_count, 0 AS char_count, 0 AS block_count, 0 AS fifo_count, whiteout_count, opaque_count,
        ${o.chunks ? "'fastcdc-16384-4096-65536'" : 'NULL::VARCHAR'} AS chunker, 0.01 AS sample_rate,
        CASE WHEN hash(layer_no, 17) % 100 < 16 THEN ((tar_size - files_size) / 9)::BIGINT END AS metadata_gzip_size,
        CASE WHEN hash(layer_no, 17) % 100 < 16 THEN ((tar_size - files_size) / 10)::BIGINT END AS metadata_zstd_size FROM lrow`);
    const manifest = (i: string) => `'sha256:' || sha256('image' || ${i})`;
    await copy('images', `SELECT ${manifest('i')} AS manifest_digest, 'application/vnd.oci.image.manifest.v1+json' AS media_type,
        'sha256:' || sha256('config' || i) AS config_digest, 'linux' AS os, 'amd64' AS architecture, NULL::VARCHAR AS variant,
        TIMESTAMP '2024-01-01' + to_hours(i::BIGINT) AS created, n::INTEGER AS layer_count, false AS schema1_converted FROM img`);
    await copy('image_refs', `SELECT 'registry.example' AS registry, 'ns' || (i % 50) || '/repo' || (i % 1700) AS repository, 'v' || i AS tag,
        ${manifest('i')} AS manifest_digest, NULL::VARCHAR AS index_digest FROM img`);
    await copy('image_layers', `SELECT ${manifest('r.i')} AS manifest_digest, r.p::INTEGER AS position, l.layer_digest, 'sha256:' || sha256('diff' || r.layer_no) AS diff_id,
        'application/vnd.oci.image.layer.v1.tar+gzip' AS media_type, l.compressed_size FROM refs r JOIN lrow l USING (layer_no)`);
    if (o.chunks) {
      // Files over 16 KiB split into 16 KiB chunks; a chunk's content follows its file's content, so shared
      // files share chunks, and a quarter of the chunk contents also recur in other files.
      await copy('chunks', `
        SELECT layer_digest, entry_index, c::INTEGER AS chunk_index,
          sha256(CASE WHEN size - c * 16384 >= 16384 AND hash(digest, c) % 4 = 0 THEN 'shared' || (hash(digest, c) % 100000) ELSE digest || c END) AS digest,
          least(16384, size - c * 16384)::INTEGER AS size, 'fastcdc-16384-4096-65536' AS chunker
        FROM (SELECT layer_digest, entry_index, digest, size FROM files WHERE entry_type = 'file' AND size > 0), range(ceil(size / 16384)::BIGINT) t(c)`);
    }
  } finally {
    db.close();
  }
}

// `node dist/test/bench/analyze.js [rows] [--chunks]`: generates the dataset once (kept in IMGSCAN_BENCH_DIR or
// the temp dir, keyed by its parameters), then times one full analysis with the report.
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rows = Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000_000);
  const chunks = args.includes('--chunks');
  const o: SyntheticOptions = { rows, images: Math.round(rows / 1700), contents: Math.round(rows / 4), chunks, versions: true };
  const dir = join(process.env.IMGSCAN_BENCH_DIR ?? tmpdir(), `imgscan-bench-analyze-${rows}${chunks ? '-chunks' : ''}`);
  const stamp = join(dir, 'params.json');
  // The stamp names the files columns too: a dataset generated before a column was added is made again.
  const made = JSON.stringify({ ...o, files: datasetSchema().get('files')!.columns.map((c) => c.name) });
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== made) {
    const t = performance.now();
    process.stdout.write(`generating ${rows} file rows${chunks ? ' with chunks' : ''} in ${dir} ... `);
    await generateDataset(dir, o);
    writeFileSync(stamp, made);
    process.stdout.write(`${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  // Rounds of the whole analysis, each in a process of its own (as a run of the CLI is: nothing warmed up, its own
  // peak RSS), the median kept, each run marked CONTENDED when other processes were busy. Interleaved with the
  // same analysis with transparent huge pages for the arrays of the JS heap (glibc's malloc asks for them when
  // GLIBC_TUNABLES holds glibc.malloc.hugetlb=1; read once, as the process starts): a setting a user can make.
  const rounds = Number(process.env.IMGSCAN_BENCH_ROUNDS ?? 3);
  const runs = await interleave(rounds, { analyze: () => analyzeChild(dir, {}), huge: () => analyzeChild(dir, { GLIBC_TUNABLES: hugePages() }) });
  const f = figure(runs.analyze);
  const mid = [...runs.analyze].sort((a, b) => a.seconds - b.seconds)[Math.floor((runs.analyze.length - 1) / 2)]!.value;
  const d = mid.dataset;
  const rate = `${Math.round(d.entries_total / f.seconds).toLocaleString('en')} rows/s`;
  const peak = (list: typeof runs.analyze) => Math.max(...list.map((r) => r.value.maxRss));
  console.log(`analyze: ${d.entries_total} file rows (${d.files_total} files, ${d.layers_read} layers, ${d.images} images, ${d.layer_refs} layer refs), each run a process of its own; ${CONTENTION_RULE}`);
  console.log(`  ${shown(`${f.seconds.toFixed(2)} s = ${rate}`, f)} (target: 10M rows under 10 s)`);
  console.log(`  median run: queries ${mid.queries.toFixed(2)} s, report ${mid.report.toFixed(2)} s; peak RSS ${peak(runs.analyze).toFixed(0)} MiB (all ${rounds} runs)`);
  const steps = Object.entries(mid.steps).sort((x, y) => y[1] - x[1]);
  console.log(`  slowest steps (the two lanes overlap): ${steps.slice(0, 6).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}`);
  const h = figure(runs.huge);
  console.log(`  with GLIBC_TUNABLES=${hugePages()} (huge pages for the JS arrays): ${shown(`${h.seconds.toFixed(2)} s (${h.seconds <= f.seconds ? `${((1 - h.seconds / f.seconds) * 100).toFixed(0)}% less` : `${((h.seconds / f.seconds - 1) * 100).toFixed(0)}% more`})`, f, h)}; peak RSS ${peak(runs.huge).toFixed(0)} MiB`);
}

/** GLIBC_TUNABLES with huge pages for malloc, keeping what the user set. */
function hugePages(): string {
  const own = process.env.GLIBC_TUNABLES;
  return own ? `${own}:glibc.malloc.hugetlb=1` : 'glibc.malloc.hugetlb=1';
}

type Once = Awaited<ReturnType<typeof analyzeOnce>> & { maxRss: number };

/** One analysis with the report in a new process (this file with --run), with `env` added to its environment. */
function analyzeChild(dir: string, env: NodeJS.ProcessEnv): Promise<Once> {
  return new Promise((done, fail) => {
    execFile(process.execPath, [fileURLToPath(import.meta.url), '--run', dir], { env: { ...process.env, ...env }, maxBuffer: 1 << 24 }, (err, stdout) => {
      if (err) fail(err);
      else done(JSON.parse(stdout) as Once);
    });
  });
}

/** One full analysis with the report, timed. */
async function analyzeOnce(dir: string) {
  const out = mkdtempSync(join(tmpdir(), 'imgscan-bench-report-'));
  try {
    const t = performance.now();
    const a = await analyzeDataset({ dataDirs: [dir] });
    const queried = performance.now();
    writeReport(out, await redundancyReport(a.summary, a.images, reportFormats, chartScripts()));
    const report = (performance.now() - queried) / 1000;
    const seconds = (performance.now() - t) / 1000;
    return { seconds, queries: a.seconds.queries, report, steps: a.seconds.steps, dataset: a.summary.dataset };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  if (process.argv[2] === '--run') {
    const once = await analyzeOnce(process.argv[3]!);
    process.stdout.write(JSON.stringify({ ...once, maxRss: process.resourceUsage().maxRSS / 1024 }));
  } else await main();
}
