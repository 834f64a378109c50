import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOciLayout, type LayerEntry } from '../../../src/demo/layout-writer.js';
import type { Summary } from '../../../src/analysis/types.js';
import { cli } from '../../support/dataset.js';

/**
 * The compressed size of file_dedup, end to end, on real files (Python's standard library of this machine: text,
 * bytecode and shared objects) spread over three images that share some of them. With --sample-rate 1 the figure
 * is exact, and equals what this test computes on its own: every distinct content (by SHA-256) and every unique
 * layer's metadata (the tar without the file data Python's tarfile locates) compressed in 4 MiB pieces with
 * gzip -6 and zstd -3. With a 10% sample the estimate's 95% interval holds that exact figure.
 */

const PIECE = 4 * 1024 * 1024;
const require = createRequire(import.meta.url);
const { Compressor } = require('zstd-napi') as { Compressor: new () => { compress(d: Uint8Array): Buffer; setParameters(p: object): void } };
const zstd = new Compressor();
zstd.setParameters({ compressionLevel: 3 });

let dir: string;
let exact: { gzip: number; zstd: number };
/** chunk_dedup with fixed 64 KiB chunks, computed here: distinct chunks + metadata + 32 bytes per chunk reference. */
let exactFixed: { gzip: number; zstd: number };
const FIXED = 65536;
let full: Summary;
let sampled: Summary;

function sizes(data: Buffer): { gzip: number; zstd: number } {
  let gzip = 0;
  let z = 0;
  for (let at = 0; at < data.length || at === 0; at += PIECE) {
    const p = data.subarray(at, at + PIECE);
    if (p.length === 0) break;
    gzip += gzipSync(p, { level: 6 }).length;
    z += zstd.compress(p).length;
  }
  return { gzip, zstd: z };
}

/** The tar without its file data, as Python's tarfile locates the data, and the sizes of its files. */
function metadataOf(tar: Buffer): { metadata: Buffer; sizes: number[] } {
  const file = join(dir, 'layer.tar');
  writeFileSync(file, tar);
  const ranges = JSON.parse(execFileSync('python3', ['-c', `
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    print(json.dumps([[m.offset_data, m.offset_data + m.size] for m in t.getmembers() if m.isreg()]))
`, file], { encoding: 'utf8' })) as [number, number][];
  return { metadata: cut(tar, ranges), sizes: ranges.map(([from, to]) => to - from) };
}

function cut(tar: Buffer, ranges: [number, number][]): Buffer {
  const keep: Buffer[] = [];
  let at = 0;
  for (const [from, to] of ranges) {
    keep.push(tar.subarray(at, from));
    at = to;
  }
  keep.push(tar.subarray(at));
  return Buffer.concat(keep);
}

async function analyzed(data: string, out: string): Promise<Summary> {
  const r = await cli(['analyze', '--data', data, '--out', out, '--format', 'json', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imgscan-compression-'));
  const root = '/usr/lib/python3.11';
  const files = execFileSync('find', [root, '-type', 'f', '-size', '-8M'], { encoding: 'utf8' }).trim().split('\n').sort();
  const entry = (f: string): LayerEntry => ({ type: 'file', path: f.slice(1), from: f });
  const third = Math.floor(files.length / 3);
  const [a, b, c] = [files.slice(0, third), files.slice(third, 2 * third), files.slice(2 * third)];
  // base is shared by two images; the third repeats a tenth of a and b in a layer of its own.
  const layout = join(dir, 'layout');
  await writeOciLayout(layout, [
    { tag: 'one', layers: [a.map(entry), b.map(entry)] },
    { tag: 'two', layers: [a.map(entry), c.map(entry)] },
    { tag: 'three', layers: [[...a.filter((_, i) => i % 10 === 0), ...b.filter((_, i) => i % 10 === 0)].map(entry), c.slice(0, 50).map(entry)] },
  ]);
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const distinct = new Map<string, Buffer>();
  const chunks = new Map<string, Buffer>();
  for (const f of files) {
    const content = readFileSync(f);
    if (content.length > 0) distinct.set(sha(content), content);
    for (let at = 0; at < content.length; at += FIXED) chunks.set(sha(content.subarray(at, at + FIXED)), content.subarray(at, at + FIXED));
  }
  exact = { gzip: 0, zstd: 0 };
  exactFixed = { gzip: 0, zstd: 0 };
  const add = (to: { gzip: number; zstd: number }, s: { gzip: number; zstd: number }) => ((to.gzip += s.gzip), (to.zstd += s.zstd));
  for (const content of distinct.values()) add(exact, sizes(content));
  for (const chunk of chunks.values()) add(exactFixed, sizes(chunk));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const blob = (digest: string) => readFileSync(join(layout, 'blobs', 'sha256', digest.slice(7)));
  const layers = new Set(index.manifests.flatMap((m) => (JSON.parse(blob(m.digest).toString()) as { layers: { digest: string }[] }).layers.map((l) => l.digest)));
  for (const l of layers) {
    const { metadata, sizes: fileSizes } = metadataOf(gunzipSync(blob(l)));
    const m = sizes(metadata);
    add(exact, m);
    add(exactFixed, m);
    const refs = fileSizes.reduce((s, n) => s + Math.ceil(n / FIXED), 0);
    add(exactFixed, { gzip: 32 * refs, zstd: 32 * refs });
  }

  for (const rate of ['1', '0.1']) {
    const r = await cli(['scan', `oci:${layout}`, '--data', join(dir, `data-${rate}`), '--sample-rate', rate, '--chunking', 'fixed:64k,fastcdc:16k', '--json']);
    expect(r.code, r.stderr).toBe(0);
  }
  full = await analyzed(join(dir, 'data-1'), join(dir, 'report-1'));
  sampled = await analyzed(join(dir, 'data-0.1'), join(dir, 'report-0.1'));
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const design = (s: Summary, name: string, chunker: string | null = null) => s.storage.designs.find((d) => d.design === name && (d.chunker ?? null) === chunker)!;

describe('the compressed size of chunk_dedup', () => {
  it('is exact with every chunk in the sample, and equals the sum computed independently for fixed chunks', () => {
    const fixed = design(full, 'chunk_dedup', 'fixed-65536');
    expect(fixed.compressed_how).toBe('exact');
    expect({ gzip: fixed.compressed_bytes, zstd: fixed.zstd_bytes }).toEqual(exactFixed);
  });

  it('is estimated from a 10% sample with a 95% interval that holds the exact figure, for each chunker', () => {
    for (const chunker of ['fixed-65536', 'fastcdc-16384-4096-65536']) {
      const truth = design(full, 'chunk_dedup', chunker);
      const d = design(sampled, 'chunk_dedup', chunker);
      expect(d.compressed_how, chunker).toBe('estimated');
      console.log(`${chunker} gzip: exact ${truth.compressed_bytes}, estimated ${d.compressed_bytes} (${d.compressed_low} to ${d.compressed_high})`);
      expect(d.compressed_low!, chunker).toBeLessThanOrEqual(truth.compressed_bytes!);
      expect(d.compressed_high!, chunker).toBeGreaterThanOrEqual(truth.compressed_bytes!);
      expect(d.zstd_low!, chunker).toBeLessThanOrEqual(truth.zstd_bytes!);
      expect(d.zstd_high!, chunker).toBeGreaterThanOrEqual(truth.zstd_bytes!);
    }
  });

  it('moves compressed bytes on pulls as estimated: the content bytes times the design\'s share', () => {
    const rows = full.traffic.designs.filter((t) => t.design === 'chunk_dedup' && t.chunker === 'fixed-65536');
    const plain = rows.find((t) => !t.compressed)!;
    const packed = rows.find((t) => t.compressed && t.estimated)!;
    const sample = full.compression.chunkers.find((c) => c.chunker === 'fixed-65536')!;
    expect(packed.pull_bytes_total).toBe(Math.round(plain.pull_bytes_total * (sample.gzip!.value / sample.chunk_bytes)));
  });
});

describe('the compressed size of file_dedup', () => {
  it('is exact with every content in the sample, and equals the sum computed independently', () => {
    const design = full.storage.designs.find((d) => d.design === 'file_dedup')!;
    expect(design.compressed_how).toBe('exact');
    expect({ gzip: design.compressed_bytes, zstd: design.zstd_bytes }).toEqual(exact);
    expect(full.compression.contents_sampled).toBe(full.compression.contents);
  });

  it('is estimated from a 10% sample with a 95% interval that holds the exact figure', () => {
    const design = sampled.storage.designs.find((d) => d.design === 'file_dedup')!;
    expect(design.compressed_how).toBe('estimated');
    const c = sampled.compression;
    expect(c.contents).toBe(full.compression.contents);
    expect(c.contents_sampled).toBeGreaterThan(0.05 * c.contents);
    expect(c.contents_sampled).toBeLessThan(0.15 * c.contents);
    console.log(`file_dedup gzip: exact ${exact.gzip}, estimated ${design.compressed_bytes} (${design.compressed_low} to ${design.compressed_high}); zstd: exact ${exact.zstd}, estimated ${design.zstd_bytes} (${design.zstd_low} to ${design.zstd_high})`);
    expect(design.compressed_low!).toBeLessThanOrEqual(exact.gzip);
    expect(design.compressed_high!).toBeGreaterThanOrEqual(exact.gzip);
    expect(design.zstd_low!).toBeLessThanOrEqual(exact.zstd);
    expect(design.zstd_high!).toBeGreaterThanOrEqual(exact.zstd);
    // And the interval says something: narrower than a quarter of the figure.
    expect((design.compressed_high! - design.compressed_low!) / design.compressed_bytes!).toBeLessThan(0.25);
  });

  it('compares with layer_dedup in compressed bytes, as the registry stores layers', () => {
    const layer = full.storage.designs.find((d) => d.design === 'layer_dedup')!;
    const file = full.storage.designs.find((d) => d.design === 'file_dedup')!;
    expect(layer.compressed_how).toBe('measured');
    expect(file.compressed_ratio_to_layer_dedup).toBeCloseTo(file.compressed_bytes! / layer.compressed_bytes!, 12);
  });
});
