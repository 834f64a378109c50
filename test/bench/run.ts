// `npm run bench`: scan throughput against raw decompression of the same blobs, against doing it by hand
// (decompress | tar -x, then b3sum), scaling over worker threads, the cost of each chunker and peak RSS, in one run.
import { execFileSync, execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, linkSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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
import { CONTENTION_RULE, figure, interleave, line, measure, shown, type Figure, type Run } from './measure.js';

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

function scanChild(workers: number, options: { mode?: 'chunking' | 'streamed'; chunking?: string; cores?: number; layout?: string; sampleRate?: number; inflater?: 'zlib' | 'igzip' } = {}): ScanRun {
  const data = mkdtempSync(join(tmpdir(), 'imgscan-bench-data-'));
  try {
    const mode = options.chunking !== undefined ? ['chunking', options.chunking] : [options.mode ?? ''];
    const args = [join(root, 'dist', 'test', 'bench', 'scan-child.js'), `oci:${options.layout ?? join(corpusDir, 'layout')}`, data, String(workers), ...mode];
    const pin = options.cores && taskset ? ['taskset', '-c', Array.from({ length: options.cores }, (_, i) => i).join(',')] : [];
    const [cmd, ...rest] = [...pin, process.execPath, ...args];
    // The rest of the bench compares with zlib's raw decompression: zlib unless igzip is asked for.
    const env = { ...process.env, IMGSCAN_BENCH_INFLATER: options.inflater ?? 'zlib', ...(options.sampleRate === undefined ? {} : { IMGSCAN_BENCH_SAMPLE_RATE: String(options.sampleRate) }) };
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

/** Runs are repeated, interleaved (A B A B ...), and the median of each is kept, each run with what else the machine did. */
const rounds = Number(process.env.IMGSCAN_BENCH_ROUNDS ?? 3);
const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const rate = (secs: number) => mbps(tarBytes, secs);
/** A ratio of two figures' seconds (a over b), CONTENDED when either is. */
const ratio = (a: Figure, b: Figure) => shown(x(a.seconds, b.seconds), a, b);
const values = <T>(runs: Run<T>[]) => runs.map((r) => r.value);
function medianRun(runs: ScanRun[]): ScanRun {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  return { seconds: median(runs.map((r) => r.seconds)), cpuSeconds: median(runs.map((r) => r.cpuSeconds)), maxRssBytes: Math.max(...runs.map((r) => r.maxRssBytes)) };
}

/** The floor of gzip blobs in its own process, pinned to one core where taskset exists (igzip's child too). */
function floorChild(inflater: 'zlib' | 'igzip', blobs: string[]): { seconds: number } {
  const args = [join(root, 'dist', 'test', 'bench', 'floor-child.js'), inflater, ...blobs];
  const [cmd, ...rest] = [...(taskset ? ['taskset', '-c', '0'] : []), process.execPath, ...args];
  return JSON.parse(execFileSync(cmd!, rest, { encoding: 'utf8' }).trim().split('\n').pop()!) as { seconds: number };
}

/**
 * gzip layers inflated by igzip against zlib: a layout of the corpus's gzip layers only (the same blobs, linked),
 * scanned with 2 workers each way, and the one-core floor with each as the decompressor, all interleaved.
 */
async function inflaterBench(): Promise<void> {
  const gz = layers.filter((l) => l.compression === 'gzip');
  const dir = join(corpusDir, 'gzip-only');
  mkdirSync(dir, { recursive: true });
  for (const l of gz) {
    for (const suffix of ['', '.diffid']) {
      const to = join(dir, `${l.name}.tar.gz${suffix}`);
      if (!existsSync(to)) linkSync(l.blob + suffix, to);
    }
  }
  buildCorpus(dir, gz.map((l) => ({ name: l.name, paths: [], compression: 'gzip' })));
  const gzBytes = gz.reduce((s, l) => s + l.tarBytes, 0);
  const layout = join(dir, 'layout');
  const runs = await interleave(rounds, {
    zlib: () => scanChild(2, { layout, inflater: 'zlib' }),
    igzip: () => scanChild(2, { layout, inflater: 'igzip' }),
    floorZlib: () => floorChild('zlib', gz.map((l) => l.blob)),
    floorIgzip: () => floorChild('igzip', gz.map((l) => l.blob)),
    inflateZlib: async () => ({ seconds: await rawDecompress(gz) }),
    inflateIgzip: () => ({ seconds: igzipAlone(gz.map((l) => l.blob)) }),
  });
  const [zlib, igzip, floorZlib, floorIgzip] = [runs.zlib, runs.igzip, runs.floorZlib, runs.floorIgzip].map((r) => figure(r as Run[])) as [Figure, Figure, Figure, Figure];
  const gzRate = (secs: number) => mbps(gzBytes, secs);
  const cpu = (r: Run<unknown>[]) => medianRun(values(r) as ScanRun[]);
  console.log(`gzip layers only: ${gz.length} layers, ${(gzBytes / 1e6).toFixed(0)} MB uncompressed; ${CONTENTION_RULE}`);
  console.log(line('imgscan scan, 2 workers, gzip through zlib', zlib, gzRate, `CPU ${cpu(runs.zlib).cpuSeconds.toFixed(1)} s`));
  console.log(line('imgscan scan, 2 workers, gzip through igzip', igzip, gzRate, `CPU ${cpu(runs.igzip).cpuSeconds.toFixed(1)} s (igzip children included)`));
  console.log(line(`floor on 1 core${taskset ? '' : ' (no taskset: unpinned)'}: zlib + sha256 x2 + BLAKE3`, floorZlib, gzRate));
  console.log(line(`floor on 1 core${taskset ? '' : ' (no taskset: unpinned)'}: igzip + sha256 x2 + BLAKE3`, floorIgzip, gzRate));
  console.log(`  target: gzip scan with 2 workers through igzip >= 1.25x through zlib: ${ratio(zlib, igzip)}`);
  console.log(`  the one-core floor with igzip: ${ratio(floorZlib, floorIgzip)} of the floor with zlib; 2 workers through igzip at ${ratio(floorIgzip, igzip)} of it`);
  console.log(`  peak RSS: zlib ${(cpu(runs.zlib).maxRssBytes / 1e6).toFixed(0)} MB, igzip ${(cpu(runs.igzip).maxRssBytes / 1e6).toFixed(0)} MB (the scan process; igzip children not counted)`);
  // What any inflater change could give, in-process or not: ISA-L inflating into /dev/null in its own process
  // (no pipe back) against Node's zlib alone, and the one-core floor with the first in place of the second.
  const [alone, isal] = [figure(runs.inflateZlib as Run[]), figure(runs.inflateIgzip as Run[])];
  console.log(line('inflate alone, 1 thread: Node zlib (1 MiB chunks)', alone, gzRate));
  console.log(line(`inflate alone, 1 core${taskset ? '' : ' (unpinned)'}: igzip -d > /dev/null (ISA-L, no copies back)`, isal, gzRate));
  const bestFloor = floorZlib.seconds - alone.seconds + isal.seconds;
  // The 2-worker scan keeps both cores busy: its CPU time with ISA-L's inflate in place of zlib's bounds it.
  const scanCpu = cpu(runs.zlib).cpuSeconds;
  const bestScan = scanCpu / (scanCpu - alone.seconds + isal.seconds);
  console.log(`  ISA-L inflates at ${ratio(alone, isal)} of Node's zlib: in-process, it could make the one-core floor at most ${(floorZlib.seconds / bestFloor).toFixed(2)}x as fast (${gzRate(bestFloor)}),`);
  console.log(`  and the 2-worker scan (CPU-bound: ${scanCpu.toFixed(1)} CPU-s, ${alone.seconds.toFixed(2)} s of it zlib's inflate) at most ${bestScan.toFixed(2)}x: the bound on the 1.25x target`);
}

/** `igzip -d` of each blob into /dev/null, pinned to one core where taskset exists: ISA-L's inflate alone. */
function igzipAlone(blobs: string[]): number {
  const started = process.hrtime.bigint();
  for (const blob of blobs) {
    const [cmd, ...rest] = [...(taskset ? ['taskset', '-c', '0'] : []), 'igzip', '-d', '-c', blob];
    execFileSync(cmd!, rest, { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Each chunker alone (docs/metrics.md), then the three in one scan: what each costs over the unchunked scan. */
const chunkings = ['fastcdc:16k', 'fixed:1m', 'rollsum:64k', 'fastcdc:16k,fixed:1m,rollsum:64k'];

async function scanBench(): Promise<void> {
  const scans: Record<string, () => ScanRun> = {
    one: () => scanChild(1),
    unsampled: () => scanChild(1, { sampleRate: 0 }),
    two: () => scanChild(2),
    ...Object.fromEntries(chunkings.map((c) => [c, () => scanChild(1, { chunking: c })])),
    ...(taskset ? { pinned: () => scanChild(1, { cores: 1 }) } : {}),
  };
  const runs = await interleave<string, ScanRun | number>(rounds, { raw: () => rawDecompress(layers), floor: () => rawDecompress(layers, true), ...scans });
  const f = (k: string) => figure(runs[k]!);
  const m = (k: string) => medianRun(values(runs[k]!) as ScanRun[]);
  const [raw, floor, one, unsampled, two] = ['raw', 'floor', 'one', 'unsampled', 'two'].map(f) as [Figure, Figure, Figure, Figure, Figure];
  const pinned = taskset ? f('pinned') : undefined;
  const sampleCost = shown(`${(100 * (one.seconds / unsampled.seconds - 1)).toFixed(1)}%`, one, unsampled);
  const cores = availableParallelism();
  const hand = await measure(() => byHand(layers));
  // Memory does not grow with the layer: the same trees as one layer, 3.5 times the biggest layer above.
  const bigDir = join(corpusDir, 'one-layer');
  const [big] = buildCorpus(bigDir, [{ name: 'usr-all', paths: trees, compression: 'zstd' }]);
  const bigRun = scanChild(1, { layout: join(bigDir, 'layout') });
  // Blobs streamed from the main thread, as from a registry: throughput and memory of that path.
  const streamedTwo = await measure(() => scanChild(2, { mode: 'streamed' }));
  const bigStreamed = scanChild(1, { layout: join(bigDir, 'layout'), mode: 'streamed' });
  const streamed = figure([streamedTwo]);
  const handFigure = figure([hand]);

  console.log(`${CONTENTION_RULE}; ${rounds} runs each; peak RSS is the highest of them`);
  console.log(line('raw decompression (Node zlib 1 MiB chunks / zstd-napi), 1 thread', raw, rate, '1.00x'));
  console.log(line('floor: raw + sha256 blob + sha256 tar + BLAKE3, 1 thread', floor, rate, `${ratio(raw, floor)} of raw`));
  console.log(line(`imgscan scan, 1 worker (compression sample ${DEFAULT_SAMPLE_RATE}, the default)`, one, rate, `${ratio(raw, one)} of raw, ${ratio(floor, one)} of floor`));
  console.log(line('imgscan scan, 1 worker, --sample-rate 0 (no compression sample)', unsampled, rate, `the default sample costs ${sampleCost}`));
  if (pinned) console.log(line('imgscan scan, 1 worker, pinned to 1 core', pinned, rate, `${ratio(raw, pinned)} of raw, ${ratio(floor, pinned)} of floor`));
  console.log(line(`imgscan scan, 2 workers${cores === 2 ? ' (the default here)' : ''}`, two, rate, `${ratio(raw, two)} of raw; ${ratio(one, two)} of 1 worker${pinned ? `, ${ratio(pinned, two)} of 1 worker on 1 core` : ''}`));
  console.log(line('imgscan scan, 2 workers, blobs streamed (as from a registry), 1 run', streamed, rate, `${ratio(raw, streamed)} of raw; ${ratio(two, streamed)} of reading files`));
  for (const c of chunkings) console.log(line(`imgscan scan, 1 worker, --chunking ${c.length > 12 ? 'all three' : c}`, f(c), rate, `${ratio(one, f(c))} of unchunked`));
  console.log(line('by hand: decompress | tar -x, then b3sum, 1 run', handFigure, rate, `imgscan 1 worker is ${ratio(handFigure, one)} faster`));
  const perCpu = (r: ScanRun) => `${mbps(tarBytes, r.cpuSeconds)} per CPU-second (${(r.cpuSeconds / r.seconds).toFixed(2)} cores busy)`;
  console.log(`CPU: 1 worker ${perCpu(m('one'))}; 2 workers ${perCpu(m('two'))}${pinned ? `; 1 worker on 1 core ${perCpu(m('pinned'))}` : ''}; ${cores} cores here`);
  const biggest = Math.max(...layers.map((l) => l.tarBytes));
  /** The issue's unit is the MB (10^6 bytes); MiB alongside. */
  const rss = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB (${(bytes / 2 ** 20).toFixed(0)} MiB)`;
  const chunkedRss = Math.max(...chunkings.map((c) => m(c).maxRssBytes));
  console.log(`peak RSS: 1 worker ${rss(m('one').maxRssBytes)}, 2 workers ${rss(m('two').maxRssBytes)}, chunking ${rss(chunkedRss)} (layers up to ${(biggest / 1e6).toFixed(0)} MB); one ${(big!.tarBytes / 1e6).toFixed(0)} MB layer ${rss(bigRun.maxRssBytes)}; streamed: 2 workers ${rss(streamedTwo.value.maxRssBytes)}, the one layer ${rss(bigStreamed.maxRssBytes)}`);
  console.log('targets:');
  console.log(`  1 worker on 1 core >= 0.9x of the floor: ${pinned ? ratio(floor, pinned) : 'n/a (no taskset)'}`);
  console.log(`  2 workers >= 1.8x one: ${pinned ? `${ratio(pinned, two)} on 2 cores vs 1 core, ` : ''}${ratio(one, two)} unpinned (1 worker keeps ${(m('one').cpuSeconds / m('one').seconds).toFixed(2)} cores busy)`);
  console.log(`  default compression sample costs <= 15% of scan throughput: ${sampleCost} (1 worker, ${DEFAULT_SAMPLE_RATE} of contents)`);
  console.log(`  peak RSS < 300 MB: ${rss(Math.max(m('one').maxRssBytes, m('two').maxRssBytes, chunkedRss, bigRun.maxRssBytes, streamedTwo.value.maxRssBytes, bigStreamed.maxRssBytes))}`);
}

// IMGSCAN_BENCH_ONLY=inflater (or =scan) runs one part: the machine is shared, runs are long.
const only = process.env.IMGSCAN_BENCH_ONLY;
if (only === undefined || only === 'scan') await scanBench();
if (only === undefined || only === 'inflater') await inflaterBench();
