/**
 * Layer hot-path benchmark: raw decompression vs LayerScanner over the same blobs, in one process.
 *
 *   npx tsc -p . && node dist/test/bench/layer-hotpath.js [--mb 300] [--reps 3] [--chunking]
 *   taskset -c 0 node dist/test/bench/layer-hotpath.js     # strictly one core
 *
 * Builds a tar of system directories (realistic layer content: binaries, libraries, headers, Python) in a
 * temp dir, compresses it with the gzip and zstd CLIs, loads the blobs into memory and feeds them in 1 MiB
 * slices. Throughput is decompressed bytes per wall-clock second; "cpu" is process CPU time / wall time
 * (above 1.0 when zlib's pool thread overlaps the main thread).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { GZIP_CHUNK_SIZE, ZSTD_OUT_SIZE } from '../../src/layers/decompress.js';
import { blake3Backend } from '../../src/layers/hash.js';
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

function rawGunzip(blob: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const z = createGunzip({ chunkSize: GZIP_CHUNK_SIZE, writableHighWaterMark: 4 * GZIP_CHUNK_SIZE } as ZlibOptions);
    let n = 0;
    z.on('data', (d: Buffer) => void (n += d.length));
    z.on('end', resolve);
    z.on('error', reject);
    for (let i = 0; i < blob.length; i += SLICE) z.write(blob.subarray(i, i + SLICE));
    z.end();
  });
}

type DCtx = { decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number] };
const { DCtx } = createRequire(import.meta.url)('zstd-napi/binding') as { DCtx: new () => DCtx };

async function rawZstd(blob: Buffer): Promise<void> {
  const d = new DCtx();
  const out = Buffer.allocUnsafe(ZSTD_OUT_SIZE);
  for (let i = 0; i < blob.length; i += SLICE) {
    let src = blob.subarray(i, i + SLICE);
    for (;;) {
      const [ret, produced, consumed] = d.decompressStream(out, src);
      src = src.subarray(consumed);
      if (src.length === 0 && (produced < out.length || ret === 0)) break;
    }
  }
}

async function scan(blob: Buffer, digest: string, chunking: boolean): Promise<void> {
  let rows = 0;
  const scanner = new LayerScanner(
    { layerDigest: digest, expectedSize: blob.length, chunking: chunking ? { avg: 16384, min: 4096, max: 65536 } : undefined },
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
      console.log(`${name.padEnd(28)} ${r.mbps.toFixed(0).padStart(6)} MB/s  cpu ${r.cpu.toFixed(2)}` +
        (base ? `  ratio ${(r.mbps / base.mbps).toFixed(2)}x` : ''));

    for (const kind of ['gzip', 'zstd', 'none'] as const) {
      const blob = blobs[kind];
      const digest = 'sha256:' + createHash('sha256').update(blob).digest('hex');
      const ratio = (tarBytes / blob.length).toFixed(2);
      let raw: Result | undefined;
      if (kind === 'gzip') raw = await measure(reps, tarBytes, () => rawGunzip(blob));
      if (kind === 'zstd') raw = await measure(reps, tarBytes, () => rawZstd(blob));
      if (raw) line(`${kind} raw decompress (${ratio}:1)`, raw);
      line(`${kind} LayerScanner`, await measure(reps, tarBytes, () => scan(blob, digest, false)), raw);
      if (chunking) line(`${kind} LayerScanner + fastcdc`, await measure(reps, tarBytes, () => scan(blob, digest, true)), raw);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
