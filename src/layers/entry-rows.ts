import type { ChunkRow, EntryType, FileClass, FileRow } from '../model/rows.js';
import { CLASSIFY_PREFIX, classify } from './classify.js';
import { FastCdc, type ChunkingParams } from './chunker.js';
import { blake3, type Blake3Hasher } from './hash.js';
import { ContentSampler } from './sample.js';
import type { LayerSink } from './job.js';
import type { TarHeader, TarVisitor } from './tar.js';

/** Rows handed to the sink at a time. */
export const ROW_BATCH = 1024;

/** Per-type entry counts of one layer. */
export type EntryCounts = Record<EntryType, number>;

/**
 * Tar visitor that turns entries into FileRows: BLAKE3 and class for files, optional chunk rows,
 * counts and sizes. Rows go to the sink in batches of ROW_BATCH; `flush` sends the rest.
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
  private readonly cdc: FastCdc | null;
  private chunkIndex = 0;
  private readonly sampler: ContentSampler | null;

  constructor(
    private readonly layerDigest: string,
    private readonly sink: LayerSink,
    chunking?: ChunkingParams,
    sampleRate?: number,
  ) {
    this.cdc = chunking ? new FastCdc(chunking, (size, digest) => this.chunk(size, digest)) : null;
    this.sampler = sampleRate ? new ContentSampler(sampleRate) : null;
  }

  /** Rate of the compression sample, or null when none is taken. */
  get sampleRate(): number | null {
    return this.sampler?.rate ?? null;
  }

  /** Name of the chunker, or null without chunking. */
  get chunker(): string | null {
    return this.cdc?.name ?? null;
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
      this.chunkIndex = 0;
      this.sampler?.begin(h.size);
    }
  }

  data(slice: Uint8Array): void {
    this.hasher.update(slice);
    if (this.fileClass === null) this.takePrefix(slice);
    if (this.cdc !== null) this.cdc.update(slice);
    if (this.sampler !== null) this.sampler.data(slice);
  }

  entryEnd(): void {
    const row = this.row!;
    if (row.entry_type === 'file') {
      row.digest = this.hasher.digest();
      row.file_class = this.fileClass ?? classify(this.prefix.subarray(0, this.prefixFill), row.size);
      if (this.cdc !== null) this.cdc.finish();
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

  private chunk(size: number, digest: string): void {
    this.chunkBatch.push({
      layer_digest: this.layerDigest,
      entry_index: this.row!.entry_index,
      chunk_index: this.chunkIndex++,
      digest,
      size,
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
