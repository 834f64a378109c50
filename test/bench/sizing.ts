// The inputs of the sizing section of docs/crawl.md, measured on one core: scan throughput of gzip layers
// (uncompressed MB/s per CPU-second), the fixed cost of a small layer, and a crawl of the same layers from a
// local CNCF registry (network and scan together), with the load average around each run. Run it alone:
// `npm run build && node dist/test/bench/sizing.js` (needs docker-registry, skopeo, taskset, /usr/bin/time).
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildCorpus } from './corpus.js';
import { push, startRegistry } from '../support/registry.js';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = process.env.IMGSCAN_SIZING_DIR ?? join(tmpdir(), 'imgscan-sizing-corpus');
const mb = (bytes: number) => bytes / 1e6;
const load = () => loadavg()[0]!.toFixed(1);

interface Timed {
  seconds: number;
  cpuSeconds: number;
  stdout: string;
}

/** `cmd args` pinned to CPU 0, with its wall and CPU time (user + system, all threads) from /usr/bin/time. */
function pinned(cmd: string, args: string[]): Timed {
  const timeFile = join(dir, 'time.txt');
  const stdout = execFileSync('/usr/bin/time', ['-f', '%e %U %S', '-o', timeFile, 'taskset', '-c', '0', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const [e, u, s] = execFileSync('tail', ['-1', timeFile], { encoding: 'utf8' }).trim().split(' ').map(Number);
  return { seconds: e!, cpuSeconds: u! + s!, stdout };
}

/** Text-like content: random words, so that it compresses about as real files do. */
function textFile(bytes: number): Buffer {
  const words = Array.from({ length: 512 }, () => randomBytes(3 + (randomBytes(1)[0]! % 6)).toString('hex'));
  const parts: string[] = [];
  let n = 0;
  while (n < bytes) {
    const w = words[randomBytes(2).readUInt16LE() % words.length]!;
    parts.push(w);
    n += w.length + 1;
  }
  return Buffer.from(parts.join(' ').slice(0, bytes));
}

/** A ustar archive of `files` (name, content), written out here. */
function tar(files: [string, Buffer][]): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, body] of files) {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0' + '00', 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** An OCI layout of `images` images of `perImage` small gzip layers each (20 text files of 0.5-4 KB). */
function smallLayout(out: string, images: number, perImage: number): { layers: number; tarBytes: number } {
  const blobs = join(out, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (bytes: Buffer) => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(blobs, hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const manifests = [];
  let tarBytes = 0;
  for (let i = 0; i < images; i++) {
    const layers = [];
    const diffIds = [];
    for (let l = 0; l < perImage; l++) {
      const t = tar(Array.from({ length: 20 }, (_, f) => [`app${i}/layer${l}/file${f}.txt`, textFile(512 + (randomBytes(2).readUInt16LE() % 3584))]));
      tarBytes += t.length;
      diffIds.push(`sha256:${createHash('sha256').update(t).digest('hex')}`);
      layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(gzipSync(t, { level: 6 })) });
    }
    const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } })));
    const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers })));
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': `img${i}` } });
  }
  writeFileSync(join(out, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(out, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  return { layers: images * perImage, tarBytes };
}

function scan(layout: string): Timed & { summary: { layers_read: number; tar_bytes: number; compressed_bytes: number } } {
  const data = mkdtempSync(join(tmpdir(), 'imgscan-sizing-data-'));
  try {
    const t = pinned(process.execPath, [join(root, 'dist', 'test', 'bench', 'scan-child.js'), `oci:${layout}`, data, '1']);
    return { ...t, summary: JSON.parse(t.stdout.trim().split('\n').pop()!).summary };
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

function crawl(host: string): Timed & { summary: { layers_read: number; tar_bytes: number; compressed_bytes: number } } {
  const data = mkdtempSync(join(tmpdir(), 'imgscan-sizing-data-'));
  try {
    const t = pinned(process.execPath, [join(root, 'bin', 'run.js'), 'crawl', host, '--tags', 'all', '--workers', '1', '--json', '--data', data]);
    return { ...t, summary: JSON.parse(t.stdout) };
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

// Gzip layers (as on Docker Hub) of this machine's own trees, 30 to 130 MB each.
const trees = ['/usr/lib/gcc', '/usr/include', '/usr/lib/python3.11', '/usr/lib/python3', '/usr/lib/git-core'].filter(existsSync);
const big = buildCorpus(join(dir, 'big'), trees.map((t, i) => ({ name: `tree-${i}`, paths: [t], compression: 'gzip' as const })));
const small = join(dir, 'small');
if (!existsSync(join(small, 'index.json'))) smallLayout(small, 50, 4);
const bigBytes = big.reduce((s, l) => s + l.tarBytes, 0);
const bigCompressed = big.reduce((s, l) => s + statSync(l.blob).size, 0);
console.log(`corpus: ${big.length} gzip layers, ${mb(bigBytes).toFixed(0)} MB uncompressed, ${mb(bigCompressed).toFixed(0)} MB compressed; 200 small layers in 50 images`);

const rounds = Number(process.env.IMGSCAN_SIZING_ROUNDS ?? 2);
type Run = Timed & { summary: { layers_read: number; tar_bytes: number; compressed_bytes: number } };
const runs = new Map<string, Run[]>();
const keep = (key: string, r: Run) => runs.set(key, [...(runs.get(key) ?? []), r]);
const meanCpu = (key: string) => runs.get(key)!.reduce((a, r) => a + r.cpuSeconds, 0) / runs.get(key)!.length;
const line = (what: string, t: Timed, s: { layers_read: number; tar_bytes: number; compressed_bytes: number }, before: string) =>
  console.log(
    `${what.padEnd(34)} ${t.seconds.toFixed(2).padStart(7)} s wall ${t.cpuSeconds.toFixed(2).padStart(7)} s CPU  ${s.layers_read} layers ${mb(s.tar_bytes).toFixed(1)} MB (${mb(s.compressed_bytes).toFixed(1)} MB gz): ` +
      `${(mb(s.tar_bytes) / t.cpuSeconds).toFixed(1)} MB/CPU-s, ${(s.layers_read / t.cpuSeconds).toFixed(1)} layers/CPU-s, ${(t.cpuSeconds / s.layers_read).toFixed(4)} CPU-s/layer; load ${before} -> ${load()}`,
  );
for (let r = 0; r < rounds; r++) {
  let before = load();
  const b = scan(join(dir, 'big', 'layout'));
  line('scan, big gzip layers, 1 core', b, b.summary, before);
  keep('scan big', b);
  before = load();
  const s = scan(small);
  line('scan, 200 small layers, 1 core', s, s.summary, before);
  keep('scan small', s);
  before = load();
  const one = scan(`${small}:img0`);
  line('scan, one image (start-up)', one, one.summary, before);
  keep('scan one', one);
}

// The same layers from a local registry: transfer alone (curl), then the crawl on one core.
const registry = await startRegistry();
try {
  await push(`oci:${join(dir, 'big', 'layout')}:bench`, `${registry.host}/sizing/big:latest`, { format: 'oci' });
  for (let i = 0; i < 50; i++) await push(`oci:${small}:img${i}`, `${registry.host}/small/img${i}:latest`, { format: 'oci' });
  const started = process.hrtime.bigint();
  for (const l of big) {
    const hex = createHash('sha256').update(readFileSync(l.blob)).digest('hex');
    execFileSync('curl', ['-sf', '-o', '/dev/null', `${registry.url}/v2/sizing/big/blobs/sha256:${hex}`]);
  }
  const curlSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`curl of the big layers' blobs from the registry: ${curlSeconds.toFixed(2)} s, ${(mb(bigCompressed) / curlSeconds).toFixed(0)} MB/s compressed (loopback)`);
  for (let r = 0; r < rounds; r++) {
    const before = load();
    const c = crawl(`${registry.host}/sizing/big`);
    line('crawl, big gzip layers, 1 core', c, c.summary, before);
    keep('crawl big', c);
    const before2 = load();
    const s = crawl(`${registry.host}/small`);
    line('crawl, 200 small layers, 1 core', s, s.summary, before2);
    keep('crawl small', s);
    const before3 = load();
    const one = crawl(`${registry.host}/small/img0`);
    line('crawl, one image (start-up)', one, one.summary, before3);
    keep('crawl one', one);
  }
} finally {
  await registry.stop();
}

/**
 * CPU = start + perLayer * layers + perMB * MB, fitted from the three runs of each kind (means over the rounds):
 * the one-image run gives the start-up (its 4 small layers taken off with the per-layer cost), the 200 small
 * layers the per-layer cost, the big layers the per-MB cost. Then Docker Hub of the 2019 study as the example.
 */
function model(kind: 'scan' | 'crawl'): void {
  const get = (k: string) => runs.get(`${kind} ${k}`)![0]!.summary;
  const [one, smallRun, bigRun] = [get('one'), get('small'), get('big')];
  let perMb = 0;
  let perLayer = 0;
  let start = 0;
  for (let i = 0; i < 20; i++) {
    start = meanCpu(`${kind} one`) - perLayer * one.layers_read - perMb * mb(one.tar_bytes);
    perLayer = (meanCpu(`${kind} small`) - start - perMb * mb(smallRun.tar_bytes)) / smallRun.layers_read;
    perMb = (meanCpu(`${kind} big`) - start - perLayer * bigRun.layers_read) / mb(bigRun.tar_bytes);
  }
  const hubLayers = 1_792_609;
  const hubMb = 167e6;
  const coreHours = (hubLayers * perLayer + hubMb * perMb) / 3600;
  console.log(
    `${kind}: start-up ${start.toFixed(2)} CPU-s, ${perLayer.toFixed(4)} CPU-s per layer, ${(1 / perMb).toFixed(1)} MB per CPU-s ` +
      `(${(perMb * 1e6 / 3600).toFixed(2)} core-hours per TB); Docker Hub 2019 (${hubLayers} layers, 167 TB): ` +
      `${(hubLayers * perLayer / 3600).toFixed(0)} + ${(hubMb * perMb / 3600).toFixed(0)} = ${coreHours.toFixed(0)} core-hours`,
  );
}
model('scan');
model('crawl');
