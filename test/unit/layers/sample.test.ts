import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, scanFile, sh } from './fixture.js';
import { parseChunking } from '../../../src/cli/chunking.js';

/**
 * The compression sample against an independent model: Python lists the files of a tar (names, sizes, where
 * their data lies), b3sum gives each content's key (whole content up to 64 KiB, else its first 64 KiB), and the
 * test compresses each sampled content itself in 4 MiB pieces with the codecs the sample defines (zlib gzip
 * level 6, libzstd level 3), checked in turn against the gzip and zstd command-line tools.
 */

const HEAD = 65536;
const PIECE = 4 * 1024 * 1024;
const require = createRequire(import.meta.url);
const { Compressor } = require('zstd-napi') as { Compressor: new () => { compress(d: Uint8Array): Buffer; setParameters(p: object): void } };
const zstd = new Compressor();
zstd.setParameters({ compressionLevel: 3 });

interface Member {
  name: string;
  size: number;
  file: boolean;
  /** Ranges of the tar holding file contents (stored regions of a sparse file). */
  ranges: [number, number][];
}

let dir: string;
let tar: string;
let members: Member[];

// Sizes around the 64 KiB head and the 4 MiB piece, in three kinds of content (text, random, zeros).
const SIZES = [1, 700, 4095, 65535, 65536, 65537, 200_000, 1_000_000, 4_194_304, 4_194_305, 9_000_000];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgscan-sample-'));
  const src = join(dir, 'src');
  run('python3', ['-c', `
import os, random, sys
root, sizes = sys.argv[1], [int(s) for s in sys.argv[2].split(',')]
rnd = random.Random(7)
words = [''.join(rnd.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rnd.randint(2, 9))) for _ in range(3000)]
os.makedirs(root + '/d')
for i, n in enumerate(sizes):
    text = ' '.join(rnd.choice(words) for _ in range(n // 4 + 1)).encode()[:n]
    for kind, data in (('text', text), ('random', rnd.randbytes(n)), ('zeros', bytes(n))):
        open(f'{root}/d/{kind}-{i}', 'wb').write(data)
open(root + '/empty', 'wb').close()
os.symlink('d/text-0', root + '/link')
open(root + '/sparse', 'wb').truncate(3_000_000)
with open(root + '/sparse', 'r+b') as f:
    f.seek(1_000_000); f.write(text[:100_000])
`, src, SIZES.join(',')]);
  tar = join(dir, 'layer.tar');
  run('tar', ['-C', src, '--format=gnu', '--sparse', '--sort=name', '-cf', tar, '.']);
  members = JSON.parse(run('python3', ['-c', `
import json, sys, tarfile
out = []
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        ranges = []
        if m.isreg():
            stored = sum(s for _, s in m.sparse) if m.sparse is not None else m.size
            ranges = [[m.offset_data, m.offset_data + stored]]
        out.append({'name': m.name, 'size': m.size, 'file': m.isreg(), 'ranges': ranges})
print(json.dumps(out))
`, tar])) as Member[];
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The content of a member as the file tree has it (sparse holes read as zeros). */
function content(m: Member): Buffer {
  return readFileSync(join(dir, 'src', m.name));
}

function key(m: Member): number {
  const b3 = sh(`head -c ${HEAD} '${join(dir, 'src', m.name)}' | b3sum --no-names`).trim();
  return Number.parseInt(b3.slice(0, 8), 16);
}

function pieces(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += PIECE) out.push(data.subarray(at, at + PIECE));
  return out;
}

function expectedSizes(data: Buffer): { gzip: number; zstd: number } {
  const ps = pieces(data);
  return { gzip: ps.reduce((s, p) => s + gzipSync(p, { level: 6 }).length, 0), zstd: ps.reduce((s, p) => s + zstd.compress(p).length, 0) };
}

describe.each([1, 0.5, 0.05])('the compression sample at rate %s', (rate) => {
  it('compresses exactly the contents whose key is below the rate, in 4 MiB pieces', async () => {
    const { files, layer } = await scanFile(tar, { sampleRate: rate }, 100_000);
    const threshold = Math.floor(rate * 2 ** 32);
    const rows = new Map(files.filter((f) => f.entry_type === 'file').map((f) => [f.path, f]));
    const contents = members.filter((m) => m.file);
    expect(rows.size).toBe(contents.length);
    let sampled = 0;
    for (const m of contents) {
      const row = rows.get(m.name.replace(/^\.\//, ''))!;
      const inSample = m.size > 0 && key(m) < threshold;
      if (!inSample) {
        expect({ path: m.name, gzip: row.gzip_size, zstd: row.zstd_size }).toEqual({ path: m.name, gzip: null, zstd: null });
        continue;
      }
      sampled++;
      expect({ path: m.name, gzip: row.gzip_size, zstd: row.zstd_size }).toEqual({ path: m.name, ...expectedSizes(content(m)) });
    }
    if (rate === 1) expect(sampled).toBe(contents.filter((m) => m.size > 0).length);
    expect(layer.sample_rate).toBe(rate);
  });
});

describe('chunks in the compression sample', () => {
  it('are compressed whole when their own BLAKE3 key is below the rate, for every chunker', async () => {
    const rate = 0.3;
    const chunking = parseChunking('fastcdc:16k,fixed:4k,rollsum:8k');
    // Odd slice sizes: chunks span slices, and slices hold several chunks.
    const { files, chunks } = await scanFile(tar, { sampleRate: rate, chunking }, 77_777);
    const threshold = Math.floor(rate * 2 ** 32);
    const paths = new Map(files.map((f) => [f.entry_index, f.path]));
    const contents = new Map<string, Buffer>();
    let sampled = 0;
    const offsets = new Map<string, number>();
    for (const c of chunks) {
      const path = paths.get(c.entry_index)!;
      const content = contents.get(path) ?? contents.set(path, readFileSync(join(dir, 'src', path))).get(path)!;
      const key = `${c.chunker} ${c.entry_index}`;
      const at = offsets.get(key) ?? 0;
      offsets.set(key, at + c.size);
      const bytes = content.subarray(at, at + c.size);
      // Chunks over one piece (4 MiB) are left out: rolling-sum chunks of a long run of zeros.
      const inSample = Number.parseInt(c.digest.slice(0, 8), 16) < threshold && c.size <= PIECE;
      const want = inSample ? { gzip: gzipSync(bytes, { level: 6 }).length, zstd: zstd.compress(bytes).length } : { gzip: null, zstd: null };
      expect({ chunk: `${path} ${c.chunker} #${c.chunk_index}`, gzip: c.gzip_size, zstd: c.zstd_size }).toEqual({ chunk: `${path} ${c.chunker} #${c.chunk_index}`, ...want });
      if (inSample) sampled++;
    }
    expect(sampled).toBeGreaterThan(0.2 * chunks.length);
    expect(new Set(chunks.map((c) => c.chunker)).size).toBe(3);
  });
});

describe('the codecs of the sample', () => {
  it('are within a few percent of the gzip -6 and zstd -3 command-line tools on text and random contents', () => {
    // (Runs of zeros compress to a few hundred bytes, where the builds differ by more in relative terms.)
    for (const m of members.filter((x) => /\/(text|random)-/.test(x.name) && x.size > 1000 && x.size <= PIECE)) {
      const file = join(dir, 'src', m.name);
      const ours = expectedSizes(content(m));
      const gzip = Number(sh(`gzip -6 -n -c '${file}' | wc -c`));
      const zstdCli = Number(sh(`zstd -3 -q --no-check -c '${file}' | wc -c`));
      // Node's zlib (Chromium's fork) and the zstd library bundled with zstd-napi are other builds than the
      // tools': outputs differ by a few percent, so the sample's figures are defined by its own codecs.
      expect(Math.abs(ours.gzip - gzip) / gzip, `${m.name} gzip ${ours.gzip} vs ${gzip}`).toBeLessThan(0.06);
      expect(Math.abs(ours.zstd - zstdCli) / zstdCli, `${m.name} zstd ${ours.zstd} vs ${zstdCli}`).toBeLessThan(0.04);
    }
  });
});

describe('layer metadata in the sample', () => {
  it('is the tar without its file contents, compressed, when the layer key is below the rate', async () => {
    const blob = readFileSync(tar);
    const digest = 'sha256:' + createHash('sha256').update(blob).digest('hex');
    const { layer } = await scanFile(tar, { sampleRate: 1 }, 77_777);
    // Independent: cut every file's stored data out of the tar as Python located it.
    const keep: Buffer[] = [];
    let at = 0;
    for (const [from, to] of members.flatMap((m) => m.ranges)) {
      keep.push(blob.subarray(at, from));
      at = to;
    }
    keep.push(blob.subarray(at));
    const metadata = Buffer.concat(keep);
    expect(metadata.length).toBe(layer.tar_size - layer.files_size + layer.sparse_hole_size);
    expect({ gzip: layer.metadata_gzip_size, zstd: layer.metadata_zstd_size }).toEqual(expectedSizes(metadata));
    const key = Number.parseInt(digest.slice(7, 15), 16);
    // Layers are sampled at 16 times the rate of contents: just above the key's rate / 16 samples it, half that does not.
    const none = await scanFile(tar, { sampleRate: (key + 1) / 2 ** 32 / 32 });
    expect(key < Math.floor(none.layer.sample_rate! * 16 * 2 ** 32)).toBe(false);
    expect(none.layer.metadata_gzip_size).toBeNull();
  });
});
