import { checkChunker, chunkerName, type ChunkHandler, type Chunker } from './chunker.js';
import { blake3, type Blake3Hasher } from './hash.js';

/**
 * Fixed-size chunks, as Nydus (RAFS) and EROFS chunk-based files cut them: a file's content is cut every `size`
 * bytes from its start, its last chunk is the tail (shorter, never empty). Chunks never span files.
 */
export class FixedChunker implements Chunker {
  readonly name: string;
  private readonly hasher: Blake3Hasher = blake3.createHasher();
  private len = 0;

  constructor(private readonly size: number, private readonly onChunk: ChunkHandler) {
    checkChunker({ algorithm: 'fixed', size });
    this.name = chunkerName({ algorithm: 'fixed', size });
  }

  update(data: Uint8Array): void {
    const n = data.length;
    if (this.len + n < this.size) {
      this.hasher.update(data);
      this.len += n;
      return;
    }
    let i = 0;
    while (i < n) {
      const k = Math.min(this.size - this.len, n - i);
      this.hasher.update(k === n ? data : data.subarray(i, i + k));
      this.len += k;
      i += k;
      if (this.len === this.size) this.emit();
    }
  }

  finish(): void {
    if (this.len > 0) this.emit();
  }

  private emit(): void {
    this.onChunk(this.len, this.hasher.digest());
    this.len = 0;
  }
}
