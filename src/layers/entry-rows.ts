import type { ChunkRow, EntryType, FileClass, FileRow } from '../model/rows.js';
import { CLASSIFY_PREFIX, classify } from './classify.js';
import type { Chunker, ChunkerSpec } from './chunker.js';
import { makeChunker } from './chunkers.js';
import { blake3, type Blake3Hasher } from './hash.js';
import { ContentSampler } from './sample.js';
import { ChunkSampler } from './chunk-bytes.js';
import type { LayerSink } from './job.js';
import type { TarHeader, TarVisitor } from './tar.js';

/** Rows handed to the sink at a time. */
export const ROW_BATCH = 1024;

/** Per-type entry counts of one layer. */
export type EntryCounts = Record<EntryType, number>;

/**
 * Tar visitor that turns entries into FileRows: BLAKE3 and class for files, chunk rows of each chunker asked
 * for, counts and sizes. Rows go to the sink in batches of ROW_BATCH; `flush` sends the rest.
 */
export class EntryRows implements TarVisitor {
  readonly counts: EntryCounts = {
    file: 0, dir: 0, symlink: 0, hardlink: 0, char: 0, block: 0, fifo: 0, whiteout: 0, opaque: 0, other: 0,
  };
  filesSize = 0;
  private batch: FileRow[] = [];
  private chunkBatch: ChunkRow[] = [];
  private row: FileRow | null = null;
  private readonly hasher: Blake3Hasher = blake3.createHasher();
  private readonly prefix = new Uint8Array(CLASSIFY_PREFIX);
  private prefixFill = 0;
  /** Bytes of prefix wanted for the current file: min(size, CLASSIFY_PREFIX). */
  private prefixWant = 0;
  private fileClass: FileClass | null = null;
  private readonly chunkers: Chunker[];
  /** Per chunker, the index of the current file's next chunk. */
  private readonly chunkIndex: Int32Array;
  private readonly sampler: ContentSampler | null;
  private readonly chunkSampler: ChunkSampler | null;

  constructor(
    private readonly layerDigest: string,
    private readonly sink: LayerSink,
    chunking: readonly ChunkerSpec[] = [],
    sampleRate?: number,
  ) {
    this.chunkers = chunking.map((spec, k) => makeChunker(spec, (size, digest) => this.chunk(k, size, digest)));
    this.chunkIndex = new Int32Array(this.chunkers.length);
    this.sampler = sampleRate ? new ContentSampler(sampleRate) : null;
    this.chunkSampler = sampleRate && this.chunkers.length > 0 ? new ChunkSampler(sampleRate, this.chunkers.length) : null;
  }

  /** Rate of the compression sample, or null when none is taken. */
  get sampleRate(): number | null {
    return this.sampler?.rate ?? null;
  }

  /** Names of the chunkers, comma-separated in the order given, or null without chunking. */
  get chunker(): string | null {
    return this.chunkers.length > 0 ? this.chunkers.map((c) => c.name).join(',') : null;
  }

  entry(h: TarHeader): void {
    this.counts[h.type]++;
    const isFile = h.type === 'file';
    this.row = {
      layer_digest: this.layerDigest,
      entry_index: h.index,
      path: h.path,
      entry_type: h.type,
      size: h.size,
      digest: null,
      file_class: null,
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      mtime: h.mtime,
      link_target: h.linkTarget,
      dev_major: h.devMajor,
      dev_minor: h.devMinor,
      gzip_size: null,
      zstd_size: null,
    };
    if (isFile) {
      this.filesSize += h.size;
      this.prefixFill = 0;
      this.prefixWant = Math.min(h.size, CLASSIFY_PREFIX);
      this.fileClass = null;
      this.chunkIndex.fill(0);
      this.sampler?.begin(h.size);
      this.chunkSampler?.fileStart();
    }
  }

  data(slice: Uint8Array): void {
    this.hasher.update(slice);
    if (this.fileClass === null) this.takePrefix(slice);
    const chunkSampler = this.chunkSampler;
    if (chunkSampler === null) for (const c of this.chunkers) c.update(slice);
    else {
      for (let k = 0; k < this.chunkers.length; k++) {
        chunkSampler.begin(k, slice);
        this.chunkers[k]!.update(slice);
        chunkSampler.end(k);
      }
    }
    if (this.sampler !== null) this.sampler.data(slice);
  }

  entryEnd(): void {
    const row = this.row!;
    if (row.entry_type === 'file') {
      row.digest = this.hasher.digest();
      row.file_class = this.fileClass ?? classify(this.prefix.subarray(0, this.prefixFill), row.size);
      for (const c of this.chunkers) c.finish();
      const sizes = this.sampler?.end(row.digest) ?? null;
      if (sizes !== null) {
        row.gzip_size = sizes.gzip;
        row.zstd_size = sizes.zstd;
      }
    }
    this.row = null;
    this.batch.push(row);
    if (this.batch.length >= ROW_BATCH) this.flushFiles();
  }

  /** Sends the rows not sent yet. */
  flush(): void {
    if (this.batch.length > 0) this.flushFiles();
    if (this.chunkBatch.length > 0) this.flushChunks();
  }

  /** Classifies straight from the slice when it holds the whole prefix, else copies up to CLASSIFY_PREFIX. */
  private takePrefix(slice: Uint8Array): void {
    if (this.prefixFill === 0 && slice.length >= this.prefixWant) {
      this.fileClass = classify(slice.subarray(0, this.prefixWant), this.row!.size);
      return;
    }
    const n = Math.min(this.prefixWant - this.prefixFill, slice.length);
    this.prefix.set(slice.subarray(0, n), this.prefixFill);
    this.prefixFill += n;
    if (this.prefixFill === this.prefixWant) {
      this.fileClass = classify(this.prefix.subarray(0, this.prefixFill), this.row!.size);
    }
  }

  private chunk(k: number, size: number, digest: string): void {
    const sizes = this.chunkSampler?.cut(k, size, digest) ?? null;
    this.chunkBatch.push({
      layer_digest: this.layerDigest,
      entry_index: this.row!.entry_index,
      chunk_index: this.chunkIndex[k]!++,
      digest,
      size,
      chunker: this.chunkers[k]!.name,
      gzip_size: sizes?.gzip ?? null,
      zstd_size: sizes?.zstd ?? null,
    });
    if (this.chunkBatch.length >= ROW_BATCH) this.flushChunks();
  }

  private flushFiles(): void {
    const rows = this.batch;
    this.batch = [];
    this.sink.files(rows);
  }

  private flushChunks(): void {
    const rows = this.chunkBatch;
    this.chunkBatch = [];
    this.sink.chunks?.(rows);
  }
}
