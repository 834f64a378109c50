/**
 * Calibration of the fixed-size chunker against EROFS, a real chunk-deduplicating filesystem. One directory of
 * real package files plus deliberate duplicates is made into a layer (GNU tar, umoci) and scanned with
 * `--chunking fixed:4k,fixed:64k,fixed:1m`; the same directory goes through `mkfs.erofs --chunksize=N
 * --blobdev=BLOB` at each N. mkfs.erofs cuts each regular file every N bytes (the tail last), keeps each
 * distinct chunk once (by its SHA-256) and writes it to the blob padded to the next 4 KiB block: so the blob
 * holds imgscan's distinct fixed-N chunk bytes plus, for each distinct chunk, its padding to 4 KiB. Both sides
 * skip what holds no data (directories, symlinks, empty files; a hardlink's content counts once). The padding
 * is computed from imgscan's own chunk rows; the comparison is then exact.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db, sqlString } from '../../src/store/duckdb.js';
import { run } from '../support/exec.js';
import { prepareContent } from '../support/fixtures.js';
import { missingTools } from '../support/tools.js';

const repo = join(import.meta.dirname, '..', '..');
const cli = join(repo, 'bin', 'run.js');
/** EROFS's block: every chunk in the blob starts on one. */
const BLOCK = 4096;
const SIZES = [4096, 65536, 1 << 20];

let work: string;
let skip = false;
let summary: { chunk: { chunkers: { chunker: string; chunks_distinct: number; chunk_refs: number; chunk_bytes_distinct: number }[] } };
/** Per chunker, the size of each distinct chunk, from the chunk rows imgscan wrote. */
let distinctSizes: Map<string, number[]>;

/** Deterministic bytes that do not compress or repeat. */
function noise(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0, n = 0; i < size; i += 32, n++) createHash('sha256').update(`${seed} ${n}`).digest().copy(out, i);
  return out;
}

/** The largest regular file under `dir`. */
async function largest(dir: string): Promise<string> {
  let best = { path: '', size: -1 };
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    const { size } = await stat(path);
    if (size > best.size) best = { path, size };
  }
  return best.path;
}

beforeAll(async () => {
  skip = (await missingTools(['mkfs.erofs', 'umoci', 'tar', 'dpkg-deb'], 'fixed chunks calibrated against mkfs.erofs')).length > 0;
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), 'imgscan-erofs-'));
  const dir = join(work, 'tree');
  const { roots } = await prepareContent(join(work, 'content'));
  await mkdir(dir);
  for (const [pkg, root] of Object.entries(roots)) await run('cp', ['-a', root, join(dir, pkg)]);
  // Deliberate duplicates: a whole binary twice; its first 8 KiB alone (shares two 4 KiB chunks with it, none
  // of 64 KiB or 1 MiB); zeros of two lengths (4 KiB chunks of zeros shared); noise of an odd length twice.
  const big = await largest(dir);
  await mkdir(join(dir, 'dup'));
  await copyFile(big, join(dir, 'dup', 'whole-copy'));
  await writeFile(join(dir, 'dup', 'head-8k'), (await readFile(big)).subarray(0, 8192));
  await writeFile(join(dir, 'dup', 'zeros-100k'), Buffer.alloc(100_000));
  await writeFile(join(dir, 'dup', 'zeros-70k'), Buffer.alloc(70_000));
  await writeFile(join(dir, 'dup', 'noise-a'), noise(1_234_567, 'n'));
  await writeFile(join(dir, 'dup', 'noise-b'), noise(1_234_567, 'n'));
  await writeFile(join(dir, 'dup', 'empty'), '');

  // The same tree as one layer of an OCI image: GNU tar, added as it is by umoci.
  const tar = join(work, 'layer.tar');
  await run('tar', ['--format=gnu', '-cf', tar, '-C', dir, '.']);
  const layout = join(work, 'layout');
  await run('umoci', ['init', '--layout', layout]);
  await run('umoci', ['new', '--image', `${layout}:tree`]);
  await run('umoci', ['raw', 'add-layer', '--image', `${layout}:tree`, tar]);
  const data = join(work, 'data');
  const chunking = SIZES.map((n) => `fixed:${n}`).join(',');
  await run(process.execPath, [cli, 'scan', `oci:${layout}:tree`, '--data', data, '--chunking', chunking, '--json'], { cwd: repo, timeoutMs: 240_000 });
  const out = join(work, 'report');
  await run(process.execPath, [cli, 'analyze', '--data', data, '--out', out], { cwd: repo, timeoutMs: 240_000 });
  summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
  const db = await Db.open();
  try {
    const rows = await db.all<{ chunker: string; size: number }>(
      `SELECT chunker, any_value(size) AS size FROM read_parquet(${sqlString(join(data, 'chunks', '*.parquet'))}) GROUP BY chunker, digest`,
    );
    distinctSizes = new Map(SIZES.map((n) => [`fixed-${n}`, rows.filter((r) => r.chunker === `fixed-${n}`).map((r) => Number(r.size))]));
  } finally {
    db.close();
  }
  for (const n of SIZES) await run('mkfs.erofs', [`--chunksize=${n}`, `--blobdev=${join(work, `blob-${n}`)}`, join(work, `img-${n}`), dir], { timeoutMs: 240_000 });
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('fixed-size chunks against mkfs.erofs --chunksize', () => {
  it.each(SIZES)('the EROFS blob at %i-byte chunks holds imgscan\'s distinct chunk bytes, each chunk padded to 4 KiB', async (n) => {
    if (skip) return;
    const name = `fixed-${n}`;
    const figures = summary.chunk.chunkers.find((c) => c.chunker === name)!;
    const sizes = distinctSizes.get(name)!;
    expect(sizes.length).toBe(figures.chunks_distinct);
    expect(sizes.reduce((s, x) => s + x, 0)).toBe(figures.chunk_bytes_distinct);
    // The duplicates above were found: fewer distinct chunks than chunk references.
    expect(figures.chunks_distinct).toBeLessThan(figures.chunk_refs);
    const padding = sizes.reduce((s, x) => s + (Math.ceil(x / BLOCK) * BLOCK - x), 0);
    const blob = (await stat(join(work, `blob-${n}`))).size;
    expect(blob).toBe(figures.chunk_bytes_distinct + padding);
  });
});
