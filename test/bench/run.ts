// `npm run bench`: scan throughput against raw decompression of the same blobs, against doing it by hand
// (decompress | tar -x, then b3sum), scaling over worker threads, chunking cost and peak RSS, in one run.
import { execFileSync, execSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DecompressStream } from 'zstd-napi';
import { buildCorpus, type CorpusLayer } from './corpus.js';

const root = join(import.meta.dirname, '..', '..', '..');
const corpusDir = process.env.IMGSCAN_BENCH_DIR ?? join(tmpdir(), 'imgscan-bench-corpus');

function mbps(bytes: number, seconds: number): string {
  return `${(bytes / seconds / 1e6).toFixed(0)} MB/s`;
}

async function rawDecompress(layers: CorpusLayer[]): Promise<number> {
  const started = process.hrtime.bigint();
  for (const layer of layers) {
    const decompressor = layer.compression === 'gzip' ? createGunzip({ chunkSize: 256 * 1024 }) : new DecompressStream();
    let n = 0;
    await pipeline(createReadStream(layer.blob, { highWaterMark: 1 << 20 }), decompressor, new Writable({ write: (c: Buffer, _e, cb) => ((n += c.length), cb()) }));
    if (n !== layer.tarBytes) throw new Error(`decompressed ${n} bytes of ${layer.blob}, expected ${layer.tarBytes}`);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function scanChild(workers: number, chunking = false): { seconds: number; maxRssBytes: number } {
  const data = mkdtempSync(join(tmpdir(), 'imgscan-bench-data-'));
  try {
    const out = execFileSync(process.execPath, [join(root, 'dist', 'test', 'bench', 'scan-child.js'), `oci:${join(corpusDir, 'layout')}`, data, String(workers), chunking ? 'chunking' : ''], { encoding: 'utf8', maxBuffer: 1 << 26 });
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

/** The entries of a directory split into `parts` lists of paths, in name order. */
function split(dir: string, parts: number): string[][] {
  const names = existsSync(dir) ? readdirSync(dir).sort().map((n) => join(dir, n)) : [];
  const size = Math.ceil(names.length / parts);
  return Array.from({ length: parts }, (_, i) => names.slice(i * size, (i + 1) * size));
}

// Six layers of similar size so that layer-level parallelism is not bounded by one big layer.
const [bin1, bin2] = split('/usr/bin', 2);
const [share1, share2] = split('/usr/share', 2);
const layers = buildCorpus(corpusDir, [
  { name: 'usr-bin-1', paths: bin1, compression: 'gzip' },
  { name: 'usr-bin-2', paths: bin2, compression: 'zstd' },
  { name: 'usr-share-1', paths: share1, compression: 'gzip' },
  { name: 'usr-share-2', paths: share2, compression: 'zstd' },
  { name: 'usr-lib-python', paths: ['/usr/lib/python3', '/usr/lib/python3.11', '/usr/lib/git-core'], compression: 'gzip' },
  { name: 'usr-lib-gcc', paths: ['/usr/lib/gcc', '/usr/include'], compression: 'zstd' },
]);
const tarBytes = layers.reduce((s, l) => s + l.tarBytes, 0);
console.log(`corpus: ${layers.length} layers, ${(tarBytes / 1e6).toFixed(0)} MB uncompressed (${layers.map((l) => `${l.name} ${l.compression}`).join(', ')})`);

const raw = await rawDecompress(layers);
const one = scanChild(1);
const two = scanChild(2);
const chunked = scanChild(1, true);
const hand = byHand(layers);

const rows = [
  ['raw decompression (Node zlib 256 KiB chunks / zstd-napi), 1 core', raw, '1.00x'],
  ['imgscan scan, 1 worker', one.seconds, `${(raw / one.seconds).toFixed(2)}x of raw`],
  ['imgscan scan, 2 workers', two.seconds, `${(one.seconds / two.seconds).toFixed(2)}x of 1 worker`],
  ['imgscan scan, 1 worker, FastCDC chunking', chunked.seconds, `${(one.seconds / chunked.seconds).toFixed(2)}x of unchunked`],
  ['by hand: decompress | tar -x, then b3sum', hand, `imgscan 1 worker is ${(hand / one.seconds).toFixed(2)}x faster`],
] as const;
for (const [name, secs, ratio] of rows) console.log(`${name.padEnd(62)} ${secs.toFixed(2).padStart(7)} s  ${mbps(tarBytes, secs).padStart(10)}  ${ratio}`);
console.log(`peak RSS: 1 worker ${(one.maxRssBytes / 2 ** 20).toFixed(0)} MiB, 2 workers ${(two.maxRssBytes / 2 ** 20).toFixed(0)} MiB, chunking ${(chunked.maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
console.log(`targets: scan >= 0.8x raw (${(raw / one.seconds).toFixed(2)}x); 2 workers >= 1.8x one (${(one.seconds / two.seconds).toFixed(2)}x); peak RSS < 300 MiB (${(Math.max(one.maxRssBytes, two.maxRssBytes) / 2 ** 20).toFixed(0)} MiB)`);
