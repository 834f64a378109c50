import { ImgscanError } from '../errors.js';
import { blake3, type Blake3Hasher } from './hash.js';

/** Content-defined chunk sizes in bytes. */
export interface ChunkingParams {
  avg: number;
  min: number;
  max: number;
}

export const DEFAULT_CHUNKING: ChunkingParams = { avg: 16384, min: 4096, max: 65536 };

/**
 * One chunker a scan runs (docs/metrics.md, "Chunks"): FastCDC with its sizes, fixed-size cuts every `size`
 * bytes (as Nydus and EROFS chunk dedup), or the bup / zstd:chunked rolling sum with an average of `avg` bytes.
 */
export type ChunkerSpec =
  | ({ algorithm: 'fastcdc' } & ChunkingParams)
  | { algorithm: 'fixed'; size: number }
  | { algorithm: 'rollsum'; avg: number };

/** A fixed chunk size is a power of two from 4 KiB (EROFS's block, Nydus's least) to 16 MiB. */
export const FIXED_SIZES = { min: 4096, max: 16 * 1024 * 1024 };
/** A rolling-sum average is a power of two (its mask has log2(avg) bits) from 256 bytes to 16 MiB. */
export const ROLLSUM_AVGS = { min: 256, max: 16 * 1024 * 1024 };
/** No chunk is longer (chunks.size is an INTEGER); only FastCDC's max is checked against it, the others stay below. */
export const CHUNK_SIZE_LIMIT = 2 ** 30;

/** The name stored in layers.chunker and chunks.chunker: fastcdc-16384-4096-65536, fixed-1048576, rollsum-65536. */
export function chunkerName(spec: ChunkerSpec): string {
  switch (spec.algorithm) {
    case 'fastcdc':
      return `fastcdc-${spec.avg}-${spec.min}-${spec.max}`;
    case 'fixed':
      return `fixed-${spec.size}`;
    case 'rollsum':
      return `rollsum-${spec.avg}`;
  }
}

const powerOfTwo = (n: number) => Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;

/** Throws a USAGE error unless 64 <= min <= avg <= max <= 1 GiB (whole numbers). */
export function checkChunking(params: ChunkingParams): void {
  const { avg, min, max } = params;
  if (![avg, min, max].every(Number.isSafeInteger) || min < 64 || min > avg || avg > max || max > CHUNK_SIZE_LIMIT) {
    throw new ImgscanError('USAGE', `chunk sizes need 64 <= min <= avg <= max <= 1 GiB, got ${chunkerName({ algorithm: 'fastcdc', ...params })}`);
  }
}

/** Throws a USAGE error naming the chunker when its sizes are out of range. */
export function checkChunker(spec: ChunkerSpec): void {
  if (spec.algorithm === 'fastcdc') return checkChunking(spec);
  const [size, range, what] = spec.algorithm === 'fixed' ? [spec.size, FIXED_SIZES, 'a fixed chunk size'] : [spec.avg, ROLLSUM_AVGS, 'a rollsum average'];
  if (!powerOfTwo(size) || size < range.min || size > range.max) {
    throw new ImgscanError('USAGE', `${what} must be a power of two from ${range.min} to ${range.max} bytes, got ${chunkerName(spec)}`);
  }
}

/** Cuts one file's content at a time: `update` with its bytes in order, then `finish` cuts the last chunk. */
export interface Chunker {
  readonly name: string;
  update(data: Uint8Array): void;
  /** Ends the current file: cuts whatever is pending as its last chunk (nothing for an empty file). */
  finish(): void;
}

/** Called at each cut with the chunk's size and BLAKE3 hex. */
export type ChunkHandler = (size: number, digest: string) => void;

/** 256 gear values from a fixed seed (murmur3 finalizer over a Weyl sequence): the same on every run. Exported for tests. */
export const GEAR = (() => {
  const g = new Int32Array(256);
  let s = 0x696d6773; // "imgs"
  for (let i = 0; i < 256; i++) {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    g[i] = z ^ (z >>> 16);
  }
  return g;
})();

/** `bits` one-bits at the top of a 32-bit word (the gear hash's top bits see the last 32 bytes). */
function topMask(bits: number): number {
  return bits >= 32 ? -1 : ~(0xffffffff >>> bits) | 0;
}

/**
 * FastCDC (Xia et al., ATC 2016) with normalized chunking (level 2): below `avg` a cut needs log2(avg)+2 zero
 * bits, above it log2(avg)-2; the first `min` bytes of a chunk are skipped, a chunk never exceeds `max`. The
 * gear table and the 32-bit hash with its mask bits at the top are imgscan's own: boundaries are FastCDC's,
 * not byte-for-byte those of another tool's table. Feed one file's
 * content with `update`, then `finish` cuts the last chunk: chunks never span files.
 */
export class FastCdc implements Chunker {
  readonly name: string;
  private readonly min: number;
  private readonly avg: number;
  private readonly max: number;
  private readonly maskS: number;
  private readonly maskL: number;
  private readonly hasher: Blake3Hasher = blake3.createHasher();
  private h = 0;
  private len = 0;

  constructor(params: ChunkingParams, private readonly onChunk: ChunkHandler) {
    checkChunking(params);
    const { avg, min, max } = params;
    this.name = chunkerName({ algorithm: 'fastcdc', avg, min, max });
    this.min = min;
    this.avg = avg;
    this.max = max;
    const bits = Math.round(Math.log2(avg));
    this.maskS = topMask(bits + 2);
    this.maskL = topMask(Math.max(1, bits - 2));
  }

  update(data: Uint8Array): void {
    const n = data.length;
    const gear = GEAR;
    let start = 0; // first byte of the current chunk inside `data`
    let i = 0;
    while (i < n) {
      let len = this.len;
      if (len < this.min) {
        const k = Math.min(this.min - len, n - i);
        this.len = len += k;
        i += k;
        if (len < this.min) break;
      }
      const small = len < this.avg;
      const mask = small ? this.maskS : this.maskL;
      const limit = Math.min(n, i + (small ? this.avg : this.max) - len);
      let h = this.h;
      let j = i;
      let cut = false;
      // As in the paper's Algorithm 1 (and the reference implementations), the byte whose hash meets the mask
      // is the first byte of the next chunk: a cut at chunk offset p makes a chunk of p bytes.
      while (j < limit) {
        h = ((h << 1) + gear[data[j]!]!) | 0;
        if ((h & mask) === 0) {
          cut = true;
          break;
        }
        j++;
      }
      this.h = h;
      this.len = len + (j - i);
      i = j;
      if (cut || this.len >= this.max) {
        this.hasher.update(data.subarray(start, i));
        this.emit();
        start = i;
      }
    }
    if (start < n) this.hasher.update(data.subarray(start, n));
  }

  /** Ends the current file: cuts whatever is pending as its last chunk. */
  finish(): void {
    if (this.len > 0) this.emit();
  }

  private emit(): void {
    this.onChunk(this.len, this.hasher.digest());
    this.len = 0;
    this.h = 0;
  }
}
