/**
 * The fixed-size and rolling-sum chunkers against an independent implementation in Python (below), written from
 * their definitions in docs/metrics.md (bup's rollsum: lib/bup/bupsplit.c), over pseudo-random bytes, a real
 * binary, text and runs of zeros: the same chunk sizes, and each chunk's digest what b3sum says of its bytes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { parseChunking } from '../../../src/cli/chunking.js';
import { chunkerName, type Chunker } from '../../../src/layers/chunker.js';
import { makeChunker } from '../../../src/layers/chunkers.js';
import { FixedChunker } from '../../../src/layers/fixed-chunker.js';
import { RollsumChunker } from '../../../src/layers/rollsum-chunker.js';
import { missingTools } from '../../support/tools.js';

/**
 * Reads the files named in argv[3:], cuts each on its own and prints their chunk sizes as JSON; with a
 * directory in argv[2], also writes every chunk there as a file (NNNNNN, in order) for b3sum. A spec is
 * fixed:SIZE or rollsum:BITS.
 */
const python = String.raw`
import json, os, sys

def fixed(data, size):
    out = [size] * (len(data) // size)
    if len(data) % size:
        out.append(len(data) % size)
    return out

def rollsum(data, bits):
    # bup: s1 sums the 64-byte window, each byte plus 31; s2 sums the successive s1; both mod 2^32. The window
    # starts as 64 zeros. A chunk ends after the byte that leaves the low 'bits' bits of s2 all ones.
    window, size, offset = 64, 1 << 32, 31
    s1, s2 = window * offset, window * (window - 1) * offset
    ring, pos = [0] * window, 0
    mask = (1 << bits) - 1
    out, start = [], 0
    for i, byte in enumerate(data):
        old = ring[pos]
        s1 = (s1 + byte - old) % size
        s2 = (s2 + s1 - window * (old + offset)) % size
        ring[pos] = byte
        pos = (pos + 1) % window
        if s2 & mask == mask:
            out.append(i + 1 - start)
            start = i + 1
    if start < len(data):
        out.append(len(data) - start)
    return out

kind, arg = sys.argv[1].split(':')
outdir = sys.argv[2]
result, n = [], 0
for path in sys.argv[3:]:
    data = open(path, 'rb').read()
    sizes = fixed(data, int(arg)) if kind == 'fixed' else rollsum(data, int(arg))
    at = 0
    for s in sizes:
        if outdir != '-':
            with open(os.path.join(outdir, '%06d' % n), 'wb') as f:
                f.write(data[at:at + s])
        at += s
        n += 1
    result.append(sizes)
print(json.dumps(result))
`;

let work: string;
let files: string[];
let skip = false;

/** Deterministic pseudo-random bytes (sha256 counter mode). */
function pseudoRandom(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0, n = 0; i < size; i += 32, n++) createHash('sha256').update(`${seed} ${n}`).digest().copy(out, i);
  return out;
}

beforeAll(async () => {
  skip = (await missingTools(['python3', 'b3sum'], 'fixed and rollsum chunkers against Python')).length > 0;
  work = mkdtempSync(join(tmpdir(), 'imgscan-chunkers-'));
  writeFileSync(join(work, 'script.py'), python);
  const text = Buffer.from(Array.from({ length: 4000 }, (_, i) => `line ${i}: the quick brown fox ${i % 7}\n`).join(''));
  const contents = [
    pseudoRandom(1 << 20, 'a'),
    readFileSync('/bin/ls'),
    Buffer.concat([pseudoRandom(70_000, 'b'), Buffer.alloc(150_000), text, pseudoRandom(5000, 'c')]),
    Buffer.alloc(0),
    Buffer.from('tiny'),
    Buffer.alloc(8192, 7),
  ];
  files = contents.map((c, i) => join(work, `f${i}`));
  contents.forEach((c, i) => writeFileSync(files[i]!, c));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Python's chunk sizes per file, and with `digests` the BLAKE3 of every chunk in order, by b3sum. */
function reference(spec: string, digests = false): { sizes: number[][]; digests: string[] } {
  const dir = join(work, `chunks-${spec.replace(':', '-')}`);
  if (digests) mkdirSync(dir);
  const sizes = JSON.parse(execFileSync('python3', [join(work, 'script.py'), spec, digests ? dir : '-', ...files], { encoding: 'utf8', maxBuffer: 1 << 26 })) as number[][];
  const count = sizes.flat().length;
  const names = Array.from({ length: count }, (_, n) => join(dir, String(n).padStart(6, '0')));
  const sums = digests && count > 0 ? execFileSync('b3sum', ['--no-names', ...names], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n') : [];
  return { sizes, digests: sums };
}

/** Our chunker over the same files, each written in slices of `slice` bytes, finished after each file. */
function ours(make: (onChunk: (size: number, digest: string) => void) => Chunker, slice: number): { sizes: number[][]; digests: string[] } {
  const sizes: number[][] = [];
  const digests: string[] = [];
  let current: number[] = [];
  const chunker = make((size, digest) => (current.push(size), digests.push(digest)));
  for (const f of files) {
    const data = readFileSync(f);
    current = [];
    for (let i = 0; i < data.length; i += slice) chunker.update(data.subarray(i, i + slice));
    chunker.finish();
    sizes.push(current);
  }
  return { sizes, digests };
}

describe('fixed-size chunks', () => {
  it('cut every SIZE bytes of each file, the tail last, whatever the write sizes', () => {
    if (skip) return;
    for (const size of [4096, 65536]) {
      const want = reference(`fixed:${size}`, size === 4096);
      for (const slice of [1 << 20, 4099, 1000, 1]) {
        if (slice === 1 && size !== 65536) continue;
        const got = ours((on) => new FixedChunker(size, on), slice);
        expect(got.sizes).toEqual(want.sizes);
        if (size === 4096) expect(got.digests).toEqual(want.digests);
      }
    }
  });

  it('accepts powers of two from 4 KiB to 16 MiB only', () => {
    expect(() => new FixedChunker(2048, () => {})).toThrow(ImgscanError);
    expect(() => new FixedChunker(12288, () => {})).toThrow(/power of two/);
    expect(() => new FixedChunker(32 << 20, () => {})).toThrow(ImgscanError);
    expect(new FixedChunker(16 << 20, () => {}).name).toBe('fixed-16777216');
  });
});

describe('rolling-sum chunks', () => {
  it('cut where bup\'s rollsum meets the mask, whatever the write sizes', () => {
    if (skip) return;
    for (const bits of [8, 12, 16]) {
      const want = reference(`rollsum:${bits}`, bits === 12);
      const cuts = want.sizes.flat().length;
      expect(cuts, 'the data has boundaries to find').toBeGreaterThan(files.length);
      for (const slice of [1 << 20, 4099, 1000, 63]) {
        const got = ours((on) => new RollsumChunker(2 ** bits, on), slice);
        expect(got.sizes).toEqual(want.sizes);
        if (bits === 12) expect(got.digests).toEqual(want.digests);
      }
    }
  });

  it('starts afresh at each file: a file cuts the same after any other', () => {
    const data = pseudoRandom(300_000, 'd');
    const alone = ours((on) => new RollsumChunker(4096, on), 1 << 20).sizes;
    const sizes: number[] = [];
    const r = new RollsumChunker(4096, (size) => sizes.push(size));
    r.update(data);
    r.finish();
    sizes.length = 0;
    for (const f of files) {
      r.update(readFileSync(f));
      r.finish();
    }
    expect(sizes).toEqual(alone.flat());
  });

  it('accepts powers of two from 256 bytes to 16 MiB only', () => {
    expect(() => new RollsumChunker(128, () => {})).toThrow(ImgscanError);
    expect(() => new RollsumChunker(65537, () => {})).toThrow(/power of two/);
    expect(new RollsumChunker(65536, () => {}).name).toBe('rollsum-65536');
  });
});

describe('--chunking specs', () => {
  it('reads a comma list of chunkers, each with its sizes or its default', () => {
    const specs = parseChunking('fastcdc:16k,fixed:1m,rollsum:64k');
    expect(specs.map(chunkerName)).toEqual(['fastcdc-16384-4096-65536', 'fixed-1048576', 'rollsum-65536']);
    expect(parseChunking('fastcdc:8k:2k:32k').map(chunkerName)).toEqual(['fastcdc-8192-2048-32768']);
    expect(parseChunking(' fastcdc , fixed ,rollsum').map(chunkerName)).toEqual(['fastcdc-16384-4096-65536', 'fixed-1048576', 'rollsum-65536']);
    expect(parseChunking('fixed:4096,fixed:8KiB').map(chunkerName)).toEqual(['fixed-4096', 'fixed-8192']);
    expect(specs.map((s) => makeChunker(s, () => {}).name)).toEqual(specs.map(chunkerName));
  });

  it('names the bad part of a bad spec in a USAGE error', () => {
    const cases: [string, RegExp][] = [
      ['fastcdc:16k,zfs:1m', /"zfs:1m" names no chunker/],
      ['fixed:1m,fixed:1024k', /names fixed-1048576 twice/],
      ['fixed:3000', /"fixed:3000" is out of range: a fixed chunk size must be a power of two/],
      ['rollsum:64x', /"rollsum:64x" has "64x", not a size/],
      ['fastcdc:16k:4k', /"fastcdc:16k:4k" is not of the form/],
      ['fastcdc:16k:32k:64k', /"fastcdc:16k:32k:64k" is out of range: chunk sizes need 64 <= min <= avg/],
      ['fixed:1m,', /has an empty item/],
    ];
    for (const [text, message] of cases) {
      let caught: unknown;
      try {
        parseChunking(text);
      } catch (err) {
        caught = err;
      }
      expect(caught, text).toBeInstanceOf(ImgscanError);
      expect((caught as ImgscanError).code).toBe('USAGE');
      expect((caught as Error).message, text).toMatch(message);
    }
  });
});
