import { checkChunker, chunkerName, CHUNK_SIZE_LIMIT, type ChunkHandler, type Chunker } from './chunker.js';
import { blake3, type Blake3Hasher } from './hash.js';

/** Bytes in the rolling window (bup's BUP_WINDOWSIZE, zstd:chunked's windowSize). */
export const ROLLSUM_WINDOW = 64;
/** Added to every byte before it is summed (librsync's ROLLSUM_CHAR_OFFSET, kept by bup and zstd:chunked). */
export const ROLLSUM_CHAR_OFFSET = 31;

/**
 * The rolling checksum of bup (lib/bup/bupsplit.c, from librsync) as zstd:chunked uses it
 * (containers/storage pkg/chunked/compressor): s1 is the sum of the last 64 bytes, each plus 31, and s2 the sum
 * of the successive s1, both modulo 2^32, starting from a window of 64 zeros. After each byte is rolled in, a
 * chunk ends with that byte when the low log2(avg) bits of s2 are all ones: on random data one byte in avg.
 * As in zstd:chunked, the sum starts afresh at each file and rolls on across cuts (bup starts it afresh after
 * each cut as well; the two differ only in the first 64 bytes of a chunk). No minimum, as in both; no maximum
 * but CHUNK_SIZE_LIMIT (a run of one byte value never meets the mask: its s2 stays put), which zstd:chunked
 * lacks. zstd:chunked also cuts runs of 1 KiB of zeros out as chunks of their own: this chunker does not.
 */
export class RollsumChunker implements Chunker {
  readonly name: string;
  private readonly mask: number;
  private readonly hasher: Blake3Hasher = blake3.createHasher();
  private readonly window = new Uint8Array(ROLLSUM_WINDOW);
  private wofs = 0;
  private s1 = 0;
  private s2 = 0;
  private len = 0;

  constructor(avg: number, private readonly onChunk: ChunkHandler) {
    checkChunker({ algorithm: 'rollsum', avg });
    this.name = chunkerName({ algorithm: 'rollsum', avg });
    this.mask = avg - 1;
    this.reset();
  }

  update(data: Uint8Array): void {
    const n = data.length;
    const win = this.window;
    const w = this.wofs;
    const mask = this.mask;
    let s1 = this.s1;
    let s2 = this.s2;
    let start = 0; // first byte of the current chunk inside `data`
    let i = 0;
    while (i < n) {
      const limit = Math.min(n, i + CHUNK_SIZE_LIMIT - this.len);
      let j = i;
      let cut = false;
      // The byte leaving the window is the 64th before: for the first 64 bytes of `data` it comes from the window
      // kept from earlier writes (oldest at `w`), then from `data` itself. int32 arithmetic keeps the low 32 bits,
      // all the mask reads.
      const head = Math.min(limit, ROLLSUM_WINDOW);
      while (j < head) {
        const drop = win[(w + j) & (ROLLSUM_WINDOW - 1)]!;
        s1 = (s1 + data[j]! - drop) | 0;
        s2 = (s2 + s1 - ((drop + ROLLSUM_CHAR_OFFSET) << 6)) | 0;
        j++;
        if ((s2 & mask) === mask) {
          cut = true;
          break;
        }
      }
      while (!cut && j < limit) {
        const drop = data[j - ROLLSUM_WINDOW]!;
        s1 = (s1 + data[j]! - drop) | 0;
        s2 = (s2 + s1 - ((drop + ROLLSUM_CHAR_OFFSET) << 6)) | 0;
        j++;
        if ((s2 & mask) === mask) cut = true;
      }
      this.len += j - i;
      i = j;
      if (cut || this.len >= CHUNK_SIZE_LIMIT) {
        this.hasher.update(data.subarray(start, i));
        this.emit();
        start = i;
      }
    }
    this.s1 = s1;
    this.s2 = s2;
    this.keepWindow(data);
    if (start < n) this.hasher.update(start === 0 ? data : data.subarray(start, n));
  }

  /** Keeps the last 64 bytes rolled in, for the bytes of the next write to drop. */
  private keepWindow(data: Uint8Array): void {
    const n = data.length;
    if (n >= ROLLSUM_WINDOW) {
      this.window.set(data.subarray(n - ROLLSUM_WINDOW));
      this.wofs = 0;
      return;
    }
    for (let k = 0; k < n; k++) this.window[(this.wofs + k) & (ROLLSUM_WINDOW - 1)] = data[k]!;
    this.wofs = (this.wofs + n) & (ROLLSUM_WINDOW - 1);
  }

  finish(): void {
    if (this.len > 0) this.emit();
    this.reset();
  }

  private reset(): void {
    this.s1 = ROLLSUM_WINDOW * ROLLSUM_CHAR_OFFSET;
    this.s2 = ROLLSUM_WINDOW * (ROLLSUM_WINDOW - 1) * ROLLSUM_CHAR_OFFSET;
    this.window.fill(0);
    this.wofs = 0;
  }

  private emit(): void {
    this.onChunk(this.len, this.hasher.digest());
    this.len = 0;
  }
}
