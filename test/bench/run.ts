// `npm run bench`: scan throughput against raw decompression of the same blobs, against doing it by hand
// (decompress | tar -x, then b3sum), scaling over worker threads, the cost of each chunker and peak RSS, in one run.
import { execFileSync, execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DecompressStream } from 'zstd-napi';
import { OUT_SIZE } from '../../src/layers/decompress.js';
import { blake3 } from '../../src/layers/hash.js';
import { DEFAULT_SAMPLE_RATE } from '../../src/layers/sample.js';
import { buildCorpus, type CorpusLayer } from './corpus.js';

const root = join(import.meta.dirname, '..', '..', '..');
const corpusDir = process.env.IMGSCAN_BENCH_DIR ?? join(tmpdir(), 'imgscan-bench-corpus');

function mbps(bytes: number, seconds: number): string {
  return `${(bytes / seconds / 1e6).toFixed(0)} MB/s`;
}

/**
 * Decompression alone; with `floor`, also the hashing an exact scan cannot skip, on the same thread: sha256 of
 * the blob (its digest), sha256 of the tar (diff_id) and BLAKE3 of the content (one hasher here, per file in
 * imgscan). No tar walk, no rows: a lower bound of one core's work per byte.
 */
async function rawDecompress(layers: CorpusLayer[], floor = false): Promise<number> {
  const started = process.hrtime.bigint();
  for (const layer of layers) {
    const decompressor = layer.compression === 'gzip' ? createGunzip({ chunkSize: OUT_SIZE }) : new DecompressStream();
    let n = 0;
    const blobHash = createHash('sha256');
    const tarHash = createHash('sha256');
    const content = blake3.createHasher();
    const source = createReadStream(layer.blob, { highWaterMark: 1 << 20 });
    if (floor) source.on('data', (c: string | Buffer) => void blobHash.update(c));
    const sink = new Writable({
      write: (c: Buffer, _e, cb) => {
        n += c.length;
        if (floor) {
          tarHash.update(c);
          content.update(c);
        }
        cb();
      },
    });
    await pipeline(source, decompressor, sink);
    if (floor) {
      blobHash.digest();
      tarHash.digest();
      content.digest();
    }
    if (n !== layer.tarBytes) throw new Error(`decompressed ${n} bytes of ${layer.blob}, expected ${layer.tarBytes}`);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** `taskset` where it exists: pins a run to the first `cores` CPUs. */
const taskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
})();

interface ScanRun {
  seconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
}

function scanChild(workers: number, options: { mode?: 'chunking' | 'streamed'; chunking?: string; cores?: number; layout?: string; sampleRate?: number } = {}): ScanRun {
  const data = mkdtempSync(join(tmpdir(), 'imgscan-bench-data-'));
  try {
    const mode = options.chunking !== undefined ? ['chunking', options.chunking] : [options.mode ?? ''];
    const args = [join(root, 'dist', 'test', 'bench', 'scan-child.js'), `oci:${options.layout ?? join(corpusDir, 'layout')}`, data, String(workers), ...mode];
    const pin = options.cores && taskset ? ['taskset', '-c', Array.from({ length: options.cores }, (_, i) => i).join(',')] : [];
    const [cmd, ...rest] = [...pin, process.execPath, ...args];
    const env = options.sampleRate === undefined ? process.env : { ...process.env, IMGSCAN_BENCH_SAMPLE_RATE: String(options.sampleRate) };
    const out = execFileSync(cmd!, rest, { encoding: 'utf8', maxBuffer: 1 << 26, env });
    return JSON.parse(out.trim().split('\n').pop()!);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

function byHand(layers: CorpusLayer[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'imgscan-bench-hand-'));
  const started = process.hrtime.bigint();
  try {
    for (const layer of layers) {
      const out = join(dir, layer.name);
      execSync(`mkdir -p ${out} && ${layer.compression === 'gzip' ? 'gzip' : 'zstd'} -dc ${layer.blob} | tar -x -C ${out} 2>/dev/null; find ${out} -type f -print0 | xargs -0 -r b3sum > /dev/null`, { shell: '/bin/bash' });
    }
    return Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const trees = ['/usr/bin', '/usr/share', '/usr/lib/python3', '/usr/lib/python3.11', '/usr/lib/git-core', '/usr/lib/gcc', '/usr/include'].filter(existsSync);

/**
 * The entries under `roots` (directories before their contents, in path order) cut into `parts` runs of about
 * the same file bytes: layers of similar size, so that the scaling over workers measures the scan, not how six
 * unequal layers happen to pack onto two cores.
 */
function balanced(roots: string[], parts: number): string[][] {
  const entries = execFileSync('find', [...roots, '-xdev', '-printf', '%s %y %p\\n'], { encoding: 'utf8', maxBuffer: 1 << 28 })
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [size, type, ...path] = line.split(' ');
      return { path: path.join(' '), bytes: type === 'f' ? Number(size) : 0 };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const total = entries.reduce((s, e) => s + e.bytes, 0);
  const out: string[][] = [[]];
  let sum = 0;
  for (const e of entries) {
    if (sum >= (total * out.length) / parts && out.length < parts) out.push([]);
    out.at(-1)!.push(e.path);
    sum += e.bytes;
  }
  return out;
}

// Twelve layers of 70 to 190 MB (the cuts fall between files), gzip and zstd in turn.
const layers = buildCorpus(
  corpusDir,
  balanced(trees, 12).map((paths, i) => ({ name: `usr-${String(i + 1).padStart(2, '0')}`, paths, compression: i % 2 === 0 ? 'gzip' : 'zstd', recursive: false })),
);
const tarBytes = layers.reduce((s, l) => s + l.tarBytes, 0);
console.log(`corpus: ${layers.length} layers, ${(tarBytes / 1e6).toFixed(0)} MB uncompressed (${layers.map((l) => `${l.name} ${l.compression}`).join(', ')})`);

/** Runs are repeated, interleaved, and the median of each is kept: one run on a shared machine varies by ±20%. */
const rounds = Number(process.env.IMGSCAN_BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function medianRun(runs: ScanRun[]): ScanRun {
  return { seconds: median(runs.map((r) => r.seconds)), cpuSeconds: median(runs.map((r) => r.cpuSeconds)), maxRssBytes: Math.max(...runs.map((r) => r.maxRssBytes)) };
}
/** Each chunker alone (docs/metrics.md), then the three in one scan: what each costs over the unchunked scan. */
const chunkings = ['fastcdc:16k', 'fixed:1m', 'rollsum:64k', 'fastcdc:16k,fixed:1m,rollsum:64k'];
const samples = { raw: [] as number[], floor: [] as number[], one: [] as ScanRun[], unsampled: [] as ScanRun[], two: [] as ScanRun[], pinned: [] as ScanRun[] };
const chunkedSamples = new Map(chunkings.map((c) => [c, [] as ScanRun[]]));
for (let round = 0; round < rounds; round++) {
  samples.raw.push(await rawDecompress(layers));
  samples.floor.push(await rawDecompress(layers, true));
  samples.one.push(scanChild(1));
  samples.unsampled.push(scanChild(1, { sampleRate: 0 }));
  samples.two.push(scanChild(2));
  for (const c of chunkings) chunkedSamples.get(c)!.push(scanChild(1, { chunking: c }));
  if (taskset) samples.pinned.push(scanChild(1, { cores: 1 }));
}
const raw = median(samples.raw);
const floor = median(samples.floor);
const one = medianRun(samples.one);
const unsampled = medianRun(samples.unsampled);
const sampleCost = one.seconds / unsampled.seconds - 1;
const two = medianRun(samples.two);
const chunkedRuns = chunkings.map((c) => [c, medianRun(chunkedSamples.get(c)!)] as const);
const pinned = taskset ? medianRun(samples.pinned) : undefined;
const cores = availableParallelism();
const hand = byHand(layers);
// Memory does not grow with the layer: the same trees as one layer, 3.5 times the biggest layer above.
const bigDir = join(corpusDir, 'one-layer');
const [big] = buildCorpus(bigDir, [{ name: 'usr-all', paths: trees, compression: 'zstd' }]);
const bigRun = scanChild(1, { layout: join(bigDir, 'layout') });
// Blobs streamed from the main thread, as from a registry: throughput and memory of that path.
const streamedTwo = scanChild(2, { mode: 'streamed' });
const bigStreamed = scanChild(1, { layout: join(bigDir, 'layout'), mode: 'streamed' });

const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
console.log(`median of ${rounds} interleaved runs each; peak RSS is the highest of them`);
const rows: [string, number, string][] = [
  ['raw decompression (Node zlib 1 MiB chunks / zstd-napi), 1 thread', raw, '1.00x'],
  ['floor: raw + sha256 blob + sha256 tar + BLAKE3, 1 thread', floor, `${x(raw, floor)} of raw`],
  [`imgscan scan, 1 worker (compression sample ${DEFAULT_SAMPLE_RATE}, the default)`, one.seconds, `${x(raw, one.seconds)} of raw, ${x(floor, one.seconds)} of floor`],
  ['imgscan scan, 1 worker, --sample-rate 0 (no compression sample)', unsampled.seconds, `the default sample costs ${(100 * sampleCost).toFixed(1)}%`],
];
if (pinned) rows.push(['imgscan scan, 1 worker, pinned to 1 core', pinned.seconds, `${x(raw, pinned.seconds)} of raw, ${x(floor, pinned.seconds)} of floor`]);
rows.push([`imgscan scan, 2 workers${cores === 2 ? ' (the default here)' : ''}`, two.seconds, `${x(raw, two.seconds)} of raw; ${x(one.seconds, two.seconds)} of 1 worker${pinned ? `, ${x(pinned.seconds, two.seconds)} of 1 worker on 1 core` : ''}`]);
rows.push(['imgscan scan, 2 workers, blobs streamed (as from a registry), 1 run', streamedTwo.seconds, `${x(raw, streamedTwo.seconds)} of raw; ${x(two.seconds, streamedTwo.seconds)} of reading files`]);
for (const [c, run] of chunkedRuns) rows.push([`imgscan scan, 1 worker, --chunking ${c.length > 12 ? 'all three' : c}`, run.seconds, `${x(one.seconds, run.seconds)} of unchunked`]);
rows.push(['by hand: decompress | tar -x, then b3sum', hand, `imgscan 1 worker is ${x(hand, one.seconds)} faster`]);
for (const [name, secs, ratio] of rows) console.log(`${name.padEnd(66)} ${secs.toFixed(2).padStart(7)} s  ${mbps(tarBytes, secs).padStart(10)}  ${ratio}`);
const perCpu = (r: ScanRun) => `${mbps(tarBytes, r.cpuSeconds)} per CPU-second (${(r.cpuSeconds / r.seconds).toFixed(2)} cores busy)`;
console.log(`CPU: 1 worker ${perCpu(one)}; 2 workers ${perCpu(two)}${pinned ? `; 1 worker on 1 core ${perCpu(pinned)}` : ''}; ${cores} cores here`);
const biggest = Math.max(...layers.map((l) => l.tarBytes));
/** The issue's unit is the MB (10^6 bytes); MiB alongside. */
const rss = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB (${(bytes / 2 ** 20).toFixed(0)} MiB)`;
console.log(`peak RSS: 1 worker ${rss(one.maxRssBytes)}, 2 workers ${rss(two.maxRssBytes)}, chunking ${rss(Math.max(...chunkedRuns.map(([, r]) => r.maxRssBytes)))} (layers up to ${(biggest / 1e6).toFixed(0)} MB); one ${(big!.tarBytes / 1e6).toFixed(0)} MB layer ${rss(bigRun.maxRssBytes)}; streamed: 2 workers ${rss(streamedTwo.maxRssBytes)}, the one layer ${rss(bigStreamed.maxRssBytes)}`);
console.log('targets:');
console.log(`  scan >= 0.8x raw decompression on one core: 1 worker on 1 core ${pinned ? x(raw, pinned.seconds) : 'n/a'} (the floor alone is ${x(raw, floor)}, scan ${pinned ? x(floor, pinned.seconds) : 'n/a'} of it); the scan on all ${cores} cores ${x(raw, two.seconds)}`);
console.log(`  2 workers >= 1.8x one: ${pinned ? `${x(pinned.seconds, two.seconds)} on 2 cores vs 1 core, ` : ''}${x(one.seconds, two.seconds)} unpinned (1 worker keeps ${(one.cpuSeconds / one.seconds).toFixed(2)} cores busy)`);
console.log(`  default compression sample costs <= 15% of scan throughput: ${(100 * sampleCost).toFixed(1)}% (1 worker, ${DEFAULT_SAMPLE_RATE} of contents)`);
console.log(`  peak RSS < 300 MB: ${rss(Math.max(one.maxRssBytes, two.maxRssBytes, ...chunkedRuns.map(([, r]) => r.maxRssBytes), bigRun.maxRssBytes, streamedTwo.maxRssBytes, bigStreamed.maxRssBytes))}`);
