// `node dist/test/bench/crawl.js`: `imgscan crawl` of a local CNCF registry (`docker-registry`) against what a
// user would do instead with the usual tools, on the same images, in the same run, interleaved (A B C A B C ...):
//   (a) imgscan crawl REGISTRY --data FRESH (default flags; --json only to read the summary)
//   (b) skopeo copy docker://... oci:DIR:TAG for each image, umoci unpack --image DIR:TAG BUNDLE, b3sum of
//       every regular file of the unpacked trees
//   (c) skopeo copy alone (transfer plus digest checks) of the same images into an OCI layout
// Each is a child process timed from spawn to exit; user+system CPU of its processes comes from bash's `times`.
// The images (this machine's /usr trees as layers, several images sharing a base) are built once and kept in
// IMGSCAN_BENCH_CRAWL_DIR or the temp dir; the registry is started and filled by this program.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { push, startRegistry } from '../support/registry.js';
import { buildCorpus, writeImages, type CorpusLayer } from './corpus.js';
import { CONTENTION_RULE, conditions, figure, measure, type Run as Measured, shown } from './measure.js';

const root = join(import.meta.dirname, '..', '..', '..');
const corpusDir = process.env.IMGSCAN_BENCH_CRAWL_DIR ?? join(tmpdir(), 'imgscan-bench-crawl-corpus');
const rounds = Number(process.env.IMGSCAN_BENCH_ROUNDS ?? 3);

// Layers: a toolchain base shared by every image, then a Python, a git and a headers layer; gzip, as most registries
// hold them (and as umoci unpacks: it does not read zstd layers).
const trees: { name: string; paths: string[]; compression: 'gzip' | 'zstd' }[] = [
  { name: 'base-gcc', paths: ['/usr/lib/gcc'], compression: 'gzip' },
  { name: 'python', paths: ['/usr/lib/python3', '/usr/lib/python3.11'], compression: 'gzip' },
  { name: 'git', paths: ['/usr/lib/git-core'], compression: 'gzip' },
  { name: 'headers', paths: ['/usr/include'], compression: 'gzip' },
];
const layers = buildCorpus(corpusDir, trees);
const byName = new Map(layers.map((l) => [l.name, l]));
const pick = (...names: string[]): CorpusLayer[] => names.map((n) => byName.get(n)!);
const images = [
  { tag: 'gcc', layers: pick('base-gcc') },
  { tag: 'python', layers: pick('base-gcc', 'python') },
  { tag: 'python-git', layers: pick('base-gcc', 'python', 'git') },
  { tag: 'headers', layers: pick('base-gcc', 'headers') },
];
writeImages(corpusDir, images);
const layout = join(corpusDir, 'layout');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const uniqueTar = layers.reduce((s, l) => s + l.tarBytes, 0);
const uniqueBlob = layers.reduce((s, l) => s + l.size, 0);
const imageTar = images.reduce((s, i) => s + i.layers.reduce((t, l) => t + l.tarBytes, 0), 0);
console.log(
  `crawl corpus: ${images.length} images (${images.map((i) => `${i.tag}: ${i.layers.map((l) => l.name).join('+')}`).join(', ')}); ` +
    `${layers.length} unique layers, ${mb(uniqueBlob)} compressed, ${mb(uniqueTar)} uncompressed; ${mb(imageTar)} in the images' trees`,
);

const registry = await startRegistry();
const refs = images.map((i) => `${registry.host}/bench/${i.tag}:latest`);
for (const [i, image] of images.entries()) await push(`oci:${layout}:${image.tag}`, refs[i]!);

interface Run {
  seconds: number;
  cpuSeconds: number;
  out: string;
}

/** Runs a bash script in a fresh directory ($W), timed; CPU time of its processes read from `times`. */
function timed(script: string): Run {
  const dir = mkdtempSync(join(tmpdir(), 'imgscan-bench-crawl-'));
  try {
    const started = process.hrtime.bigint();
    const out = execFileSync('bash', ['-c', `set -euo pipefail; ${script}; echo; times`], { encoding: 'utf8', env: { ...process.env, W: dir }, maxBuffer: 1 << 26 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const lines = out.trimEnd().split('\n');
    const clock = (s: string) => s.split(' ').reduce((sum, t) => sum + Number(/(\d+)m/.exec(t)![1]) * 60 + Number(/m([\d.]+)s/.exec(t)![1]), 0);
    return { seconds, cpuSeconds: clock(lines.at(-1)!) + clock(lines.at(-2)!), out: lines.slice(0, -2).join('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const q = (s: string) => `'${s}'`;
const crawlScript = `node ${q(join(root, 'bin', 'run.js'))} crawl ${registry.host} --data "$W/data" --json`;
const copy = (ref: string, tag: string) => `skopeo copy -q --src-tls-verify=false docker://${ref} "oci:$W/layout:${tag}"`;
const copyScript = images.map((image, i) => copy(refs[i]!, image.tag)).join('; ');
const userScript = [
  ...images.map((image, i) => `${copy(refs[i]!, image.tag)}; umoci unpack --image "$W/layout:${image.tag}" "$W/bundle-${image.tag}" > /dev/null`),
  `find "$W" -path "$W/bundle-*/rootfs/*" -type f -print0 | xargs -0 -r b3sum > /dev/null`,
].join('; ');

// Each run is measured as every bench measures (test/bench/measure.ts): the registry and the scripts are this
// program's children, so the CPU time of any other process during a run marks its figure CONTENDED.
const samples = { crawl: [] as Measured<Run>[], user: [] as Measured<Run>[], copy: [] as Measured<Run>[] };
for (let round = 0; round < rounds; round++) {
  const run = await measure(() => timed(crawlScript));
  const summary = JSON.parse(run.value.out) as { images: number; layers_read: number; failures: number };
  if (summary.images !== images.length || summary.layers_read !== layers.length || summary.failures !== 0) {
    throw new Error(`crawl read ${summary.images} images and ${summary.layers_read} layers with ${summary.failures} failures; expected ${images.length}, ${layers.length}, 0`);
  }
  samples.crawl.push(run);
  samples.user.push(await measure(() => timed(userScript)));
  samples.copy.push(await measure(() => timed(copyScript)));
}
await registry.stop();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const med = (runs: Measured<Run>[]) => ({ seconds: median(runs.map((r) => r.value.seconds)), cpuSeconds: median(runs.map((r) => r.value.cpuSeconds)), figure: figure(runs) });
const crawl = med(samples.crawl);
const user = med(samples.user);
const copyOnly = med(samples.copy);
const x = (a: { seconds: number; figure: ReturnType<typeof figure> }, b: { seconds: number; figure: ReturnType<typeof figure> }) => shown(`${(a.seconds / b.seconds).toFixed(2)}x`, a.figure, b.figure);
const xCpu = (a: { cpuSeconds: number; figure: ReturnType<typeof figure> }, b: { cpuSeconds: number; figure: ReturnType<typeof figure> }) => shown(`${(a.cpuSeconds / b.cpuSeconds).toFixed(2)}x`, a.figure, b.figure);
console.log(`median of ${rounds} interleaved runs each; ${CONTENTION_RULE}`);
const rows: [string, ReturnType<typeof med>, string][] = [
  ['(a) imgscan crawl (defaults)', crawl, '1.00x'],
  ['(b) skopeo copy + umoci unpack + b3sum, per image', user, `crawl is ${x(user, crawl)} faster, uses ${xCpu(crawl, user)} of its CPU`],
  ['(c) skopeo copy alone, per image', copyOnly, `crawl takes ${x(crawl, copyOnly)} of its time, ${xCpu(crawl, copyOnly)} of its CPU`],
];
for (const [name, r, ratio] of rows) {
  const body = `${r.seconds.toFixed(2).padStart(7)} s  ${r.cpuSeconds.toFixed(2).padStart(7)} CPU-s  ${`${(uniqueTar / r.seconds / 1e6).toFixed(0)} MB/s`.padStart(9)}`;
  console.log(`${name.padEnd(52)} ${shown(body, r.figure)}  ${ratio}  (${conditions(r.figure)})`);
}
console.log(`(MB/s: the ${mb(uniqueTar)} of unique layers, uncompressed, per second of each)`);
console.log('targets:');
console.log(`  crawl >= 3x faster than skopeo copy + umoci unpack + b3sum: ${x(user, crawl)}`);
console.log(`  crawl within 1.3x of skopeo copy alone: ${x(crawl, copyOnly)}`);
