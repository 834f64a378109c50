import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chunkerName, DEFAULT_CHUNKING, FastCdc, GEAR } from '../../../src/layers/chunker.js';
import { ImgscanError } from '../../../src/errors.js';
import { loadBlake3 } from '../../../src/layers/hash.js';

/** Deterministic pseudo-random bytes (sha256 counter mode) so the test data is the same on every run. */
function pseudoRandom(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0, n = 0; i < size; i += 32, n++) {
    createHash('sha256').update(`block ${n}`).digest().copy(out, i);
  }
  return out;
}

function cut(data: Uint8Array, slice: number, params = DEFAULT_CHUNKING): { size: number; digest: string }[] {
  const chunks: { size: number; digest: string }[] = [];
  const cdc = new FastCdc(params, (size, digest) => chunks.push({ size, digest }));
  for (let i = 0; i < data.length; i += slice) cdc.update(data.subarray(i, i + slice));
  cdc.finish();
  return chunks;
}

/**
 * FastCDC's Algorithm 1 (Xia et al., ATC 2016) with normalized chunking, written from the paper over a whole
 * buffer: returns the chunk sizes. The byte whose hash meets the mask is the first of the next chunk.
 */
function paperChunks(src: Uint8Array, { avg, min, max }: typeof DEFAULT_CHUNKING, gear: Int32Array): number[] {
  const bits = Math.round(Math.log2(avg));
  const top = (b: number) => ~(0xffffffff >>> b) | 0;
  const maskS = top(bits + 2);
  const maskL = top(bits - 2);
  const sizes: number[] = [];
  for (let off = 0; off < src.length; ) {
    const n = Math.min(max, src.length - off);
    let i = min;
    let fp = 0;
    let size = n;
    if (n > min) {
      for (; i < Math.min(avg, n); i++) {
        fp = ((fp << 1) + gear[src[off + i]!]!) | 0;
        if ((fp & maskS) === 0) break;
      }
      if (i === Math.min(avg, n) && i < n) {
        for (; i < n; i++) {
          fp = ((fp << 1) + gear[src[off + i]!]!) | 0;
          if ((fp & maskL) === 0) break;
        }
      }
      size = Math.min(i, n);
    }
    sizes.push(size);
    off += size;
  }
  return sizes;
}

describe('FastCdc', () => {
  const data = pseudoRandom(4 << 20);
  const blake3 = loadBlake3('native');

  it('cuts where the paper\'s Algorithm 1 cuts: a chunk ends before the byte that meets the mask', () => {
    for (const params of [DEFAULT_CHUNKING, { avg: 256, min: 64, max: 1024 }]) {
      const want = paperChunks(data.subarray(0, 1 << 20), params, GEAR);
      for (const slice of [1 << 20, 4096, 1000]) expect(cut(data.subarray(0, 1 << 20), slice, params).map((c) => c.size)).toEqual(want);
      expect(Math.min(...want.slice(0, -1))).toBeGreaterThanOrEqual(params.min);
    }
  });

  it('cuts at the same places whatever the write sizes', () => {
    const whole = cut(data, data.length);
    for (const slice of [1 << 20, 4099, 64 * 1024 + 1]) expect(cut(data, slice)).toEqual(whole);
    expect(cut(data.subarray(0, 300_000), 1)).toEqual(cut(data.subarray(0, 300_000), 300_000));
  });

  it('keeps chunks within min and max, covers the input, and hashes each chunk with BLAKE3', () => {
    const chunks = cut(data, 1 << 20);
    expect(chunks.reduce((s, c) => s + c.size, 0)).toBe(data.length);
    for (const c of chunks.slice(0, -1)) {
      expect(c.size).toBeGreaterThanOrEqual(DEFAULT_CHUNKING.min);
      expect(c.size).toBeLessThanOrEqual(DEFAULT_CHUNKING.max);
    }
    // Normalized chunking keeps the mean near avg on random data.
    const mean = data.length / chunks.length;
    expect(mean).toBeGreaterThan(DEFAULT_CHUNKING.avg * 0.6);
    expect(mean).toBeLessThan(DEFAULT_CHUNKING.avg * 1.6);
    let at = 0;
    for (const c of chunks) {
      expect(c.digest).toBe(blake3.hash(data.subarray(at, at + c.size)));
      at += c.size;
    }
  });

  it('finds the same boundaries after an insertion (content-defined)', () => {
    const a = cut(data, 1 << 20);
    const shifted = Buffer.concat([Buffer.from('inserted bytes'), data]);
    const b = cut(shifted, 1 << 20);
    const common = new Set(a.map((c) => c.digest)).size;
    const shared = b.filter((c) => a.some((x) => x.digest === c.digest)).length;
    expect(shared).toBeGreaterThan(common * 0.9);
  });

  it('never lets a chunk span two files, and emits nothing for an empty file', () => {
    const chunks: number[] = [];
    const cdc = new FastCdc(DEFAULT_CHUNKING, (size) => chunks.push(size));
    cdc.update(data.subarray(0, 1000));
    cdc.finish();
    cdc.finish();
    cdc.update(data.subarray(0, 5000));
    cdc.finish();
    expect(chunks).toEqual([1000, 5000]);
  });

  it('cuts at max on input without boundaries', () => {
    const zeros = new Uint8Array(300_000);
    const sizes = cut(zeros, 7777).map((c) => c.size);
    expect(sizes.slice(0, -1).every((s) => s === DEFAULT_CHUNKING.max)).toBe(true);
  });

  it('names itself and validates its sizes', () => {
    expect(chunkerName({ algorithm: 'fastcdc', avg: 8192, min: 2048, max: 32768 })).toBe('fastcdc-8192-2048-32768');
    expect(() => new FastCdc({ avg: 100, min: 200, max: 300 }, () => {})).toThrow(ImgscanError);
  });

  it('reads real files too', () => {
    const ls = readFileSync('/bin/ls');
    expect(cut(ls, 1 << 20)).toEqual(cut(ls, 333));
  });
});
