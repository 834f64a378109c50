import { compressedSizes, sampleKey, sampleThreshold, SAMPLE_PIECE, type CompressedSizes } from './sample.js';

/** Chunks up to this size can be in the compression sample (one piece). */
export const CHUNK_SAMPLE_CAP = SAMPLE_PIECE;

const EMPTY = new Uint8Array(0);

/**
 * The bytes of the chunks one chunker cuts, for the compression sample. A chunker reports a cut by size only,
 * in the middle of the slice it is reading; the chunk's bytes are what it had of the slices before (kept here
 * while at most `cap` bytes) and the next `size - pending` bytes of the current slice (not copied). Chunks of
 * over `cap` bytes are not kept: `take` returns null for them.
 */
export class ChunkBytes {
  private kept: Buffer;
  /** Bytes of the current chunk in earlier slices; kept in `kept` unless `overflow`. */
  private pending = 0;
  private overflow = false;
  private slice: Uint8Array = EMPTY;
  /** Where the current chunk's bytes in the current slice start. */
  private at = 0;

  constructor(private readonly cap: number) {
    this.kept = Buffer.allocUnsafe(Math.min(cap, 1 << 16));
  }

  /** Before the chunker reads `slice`. */
  begin(slice: Uint8Array): void {
    this.slice = slice;
    this.at = 0;
  }

  /** At a cut of `size` bytes: the chunk's bytes (valid until the next call), or null when over the cap. */
  take(size: number): Uint8Array | null {
    const fromSlice = size - this.pending;
    const tail = this.slice.subarray(this.at, this.at + fromSlice);
    const bytes = this.overflow || size > this.cap ? null : this.pending === 0 ? tail : this.append(tail);
    this.at += fromSlice;
    this.reset();
    return bytes;
  }

  /** After the chunker read the slice: keeps what the current chunk has of it. */
  end(): void {
    const rest = this.slice.subarray(this.at);
    if (!this.overflow && this.pending + rest.length <= this.cap) this.append(rest);
    else this.overflow = true;
    this.pending += rest.length;
    this.slice = EMPTY;
    this.at = 0;
  }

  /** A new file (or a cut): nothing pending. */
  reset(): void {
    this.pending = 0;
    this.overflow = false;
  }

  /** The kept bytes followed by `more`. */
  private append(more: Uint8Array): Uint8Array {
    const n = this.pending + more.length;
    if (n > this.kept.length) {
      const bigger = Buffer.allocUnsafe(Math.min(this.cap, Math.max(n, 2 * this.kept.length)));
      bigger.set(this.kept.subarray(0, this.pending));
      this.kept = bigger;
    }
    this.kept.set(more, this.pending);
    return this.kept.subarray(0, n);
  }
}

/**
 * The compression sample of chunks: a chunk whose BLAKE3 key is below the rate's (the same test as for file
 * contents: the same chunk is in the sample wherever it is cut) is compressed whole, with gzip -6 and zstd -3.
 * Chunks of over CHUNK_SAMPLE_CAP bytes are left out (rolling-sum chunks over a long run of one byte value).
 */
export class ChunkSampler {
  private readonly threshold: number;
  private readonly bytes: ChunkBytes[];

  constructor(rate: number, chunkers: number) {
    this.threshold = sampleThreshold(rate);
    this.bytes = Array.from({ length: chunkers }, () => new ChunkBytes(CHUNK_SAMPLE_CAP));
  }

  /** A new file. */
  fileStart(): void {
    for (const b of this.bytes) b.reset();
  }

  /** Before chunker k reads `slice`. */
  begin(k: number, slice: Uint8Array): void {
    this.bytes[k]!.begin(slice);
  }

  /** After chunker k read its slice. */
  end(k: number): void {
    this.bytes[k]!.end();
  }

  /** At chunker k's cut: the chunk's compressed sizes when it is in the sample, else null. */
  cut(k: number, size: number, digest: string): CompressedSizes | null {
    const bytes = this.bytes[k]!.take(size);
    return bytes !== null && sampleKey(digest) < this.threshold ? compressedSizes(bytes) : null;
  }
}
