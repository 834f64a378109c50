/**
 * Layer hot-path benchmark: raw decompression vs LayerScanner over the same blobs, in one process.
 *
 *   npx tsc -p . && node dist/test/bench/layer-hotpath.js [--mb 300] [--reps 3] [--chunking]
 *   taskset -c 0 node dist/test/bench/layer-hotpath.js     # strictly one core
 *
 * Builds a tar of system directories (realistic layer content: binaries, libraries, headers, Python) in a
 * temp dir, compresses it with the gzip and zstd CLIs, loads the blobs into memory and feeds them in 1 MiB
 * slices. Throughput is decompressed bytes per wall-clock second; "cpu" is process CPU time / wall time
 * (above 1.0 when zlib's pool thread overlaps the main thread); "per cpu-s" is decompressed bytes per
 * CPU-second, the cost that matters when every core is busy with its own layer.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { OUT_SIZE } from '../../src/layers/decompress.js';
import { blake3, blake3Backend } from '../../src/layers/hash.js';
import { LayerScanner } from '../../src/layers/scan-layer.js';

const SLICE = 1 << 20;
const CANDIDATES = [
  'usr/lib/python3', 'usr/lib/python3.11', 'usr/lib/python3.12', 'usr/include', 'usr/lib/git-core', 'usr/sbin',
  'usr/bin', 'usr/share/doc', 'usr/share/perl', 'usr/lib/x86_64-linux-gnu', 'usr/share',
];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Directories (relative to /) adding up to at least `target` bytes; repeated when the machine has fewer. */
function pickDirs(target: number): string[] {
  const picked: string[] = [];
  let total = 0;
  const sizes = CANDIDATES.filter((d) => existsSync('/' + d)).map((d) => {
    const out = execFileSync('du', ['-sb', '/' + d], { encoding: 'utf8' });
    return { d, bytes: Number(out.split('\t')[0]) };
  });
  if (sizes.length === 0) throw new Error('no candidate directories found');
  while (total < target) {
    let added = false;
    for (const { d, bytes } of sizes) {
      if (total >= target) break;
      if (total + bytes > target * 1.3) continue;
      picked.push(d);
      total += bytes;
      added = true;
    }
    if (!added) {
      const smallest = sizes.reduce((a, b) => (b.bytes < a.bytes ? b : a));
      picked.push(smallest.d);
      total += smallest.bytes;
    }
  }
  return picked;
}

interface Result {
  mbps: number;
  cpu: number;
}

async function measure(reps: number, bytes: number, run: () => Promise<void>): Promise<Result> {
  let best: Result = { mbps: 0, cpu: 0 };
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await run();
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    const mbps = bytes / 1e6 / secs;
    if (mbps > best.mbps) best = { mbps, cpu: (c.user + c.system) / 1e6 / secs };
  }
  return best;
}

/**
 * The work no scanner can skip, done inline: sha256 of the blob (digest check), sha256 of the tar (diff_id) and
 * BLAKE3 of all decompressed bytes (nearly all of it is file content). With `floor` unset only decompression runs.
 */
function hashes(floor: boolean): { blob(d: Uint8Array): void; tar(d: Uint8Array): void } {
  if (!floor) return { blob: () => {}, tar: () => {} };
  const blobHash = createHash('sha256');
  const tarHash = createHash('sha256');
  const b3 = blake3.createHasher();
  return {
    blob: (d) => void blobHash.update(d),
    tar: (d) => {
      tarHash.update(d);
      b3.update(d);
    },
  };
}

function rawGunzip(blob: Buffer, floor = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const z = createGunzip({ chunkSize: OUT_SIZE, writableHighWaterMark: 4 * OUT_SIZE } as ZlibOptions);
    const h = hashes(floor);
    z.on('data', (d: Buffer) => h.tar(d));
    z.on('end', resolve);
    z.on('error', reject);
    for (let i = 0; i < blob.length; i += SLICE) {
      h.blob(blob.subarray(i, i + SLICE));
      z.write(blob.subarray(i, i + SLICE));
    }
    z.end();
  });
}

type DCtx = { decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number] };
const { DCtx } = createRequire(import.meta.url)('zstd-napi/binding') as { DCtx: new () => DCtx };

async function rawZstd(blob: Buffer, floor = false): Promise<void> {
  const d = new DCtx();
  const out = Buffer.allocUnsafe(OUT_SIZE);
  const h = hashes(floor);
  for (let i = 0; i < blob.length; i += SLICE) {
    let src = blob.subarray(i, i + SLICE);
    h.blob(src);
    for (;;) {
      const [ret, produced, consumed] = d.decompressStream(out, src);
      if (floor && produced > 0) h.tar(out.subarray(0, produced));
      src = src.subarray(consumed);
      if (src.length === 0 && (produced < out.length || ret === 0)) break;
    }
  }
}

async function scan(blob: Buffer, digest: string, chunking: boolean): Promise<void> {
  let rows = 0;
  const scanner = new LayerScanner(
    { layerDigest: digest, expectedSize: blob.length, chunking: chunking ? [{ algorithm: 'fastcdc', avg: 16384, min: 4096, max: 65536 }] : undefined },
    { files: (r) => void (rows += r.length), chunks: () => {} },
  );
  for (let i = 0; i < blob.length; i += SLICE) await scanner.write(blob.subarray(i, i + SLICE));
  const layer = await scanner.end();
  if (rows !== layer.entry_count) throw new Error('row count mismatch');
}

async function main(): Promise<void> {
  const mb = arg('mb', 300);
  const reps = arg('reps', 3);
  const chunking = process.argv.includes('--chunking');
  const dir = mkdtempSync(join(tmpdir(), 'imgscan-bench-'));
  try {
    const dirs = pickDirs(mb * 1e6);
    const tarPath = join(dir, 'layer.tar');
    execFileSync('tar', ['-cf', tarPath, '-C', '/', '--ignore-failed-read', ...dirs], { stdio: ['ignore', 'ignore', 'ignore'] });
    execFileSync('sh', ['-c', `gzip -6 -c "${tarPath}" > "${tarPath}.gz" && zstd -3 -q -c "${tarPath}" > "${tarPath}.zst"`]);
    const tarBytes = statSync(tarPath).size;
    console.log(`content: ${dirs.join(' ')}`);
    console.log(`tar ${(tarBytes / 1e6).toFixed(1)} MB; blake3 backend ${blake3Backend}; best of ${reps}; MB/s of decompressed bytes`);

    const blobs = {
      gzip: readFileSync(tarPath + '.gz'),
      zstd: readFileSync(tarPath + '.zst'),
      none: readFileSync(tarPath),
    };
    const line = (name: string, r: Result, base?: Result) =>
      console.log(`${name.padEnd(30)} ${r.mbps.toFixed(0).padStart(6)} MB/s  cpu ${r.cpu.toFixed(2)}` +
        `  ${(r.mbps / r.cpu).toFixed(0).padStart(5)} MB per cpu-s` +
        (base ? `  ratio ${(r.mbps / base.mbps).toFixed(2)}x wall, ${(r.mbps / r.cpu / (base.mbps / base.cpu)).toFixed(2)}x cpu` : ''));

    for (const kind of ['gzip', 'zstd', 'none'] as const) {
      const blob = blobs[kind];
      const digest = 'sha256:' + createHash('sha256').update(blob).digest('hex');
      const ratio = (tarBytes / blob.length).toFixed(2);
      let raw: Result | undefined;
      if (kind === 'gzip') raw = await measure(reps, tarBytes, () => rawGunzip(blob));
      if (kind === 'zstd') raw = await measure(reps, tarBytes, () => rawZstd(blob));
      if (raw) line(`${kind} raw decompress (${ratio}:1)`, raw);
      const floor = kind === 'gzip' ? () => rawGunzip(blob, true) : kind === 'zstd' ? () => rawZstd(blob, true) : null;
      if (floor) line(`${kind} raw + sha256 x2 + blake3`, await measure(reps, tarBytes, floor), raw);
      line(`${kind} LayerScanner`, await measure(reps, tarBytes, () => scan(blob, digest, false)), raw);
      if (chunking) line(`${kind} LayerScanner + fastcdc`, await measure(reps, tarBytes, () => scan(blob, digest, true)), raw);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
