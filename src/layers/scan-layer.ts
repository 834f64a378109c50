import { createHash, type Hash } from 'node:crypto';
import { ImgscanError, withContext } from '../errors.js';
import { digestAlgorithm, isDigest } from '../oci/digest.js';
import type { ChunkRow, Compression, FileRow, LayerRow } from '../store/rows.js';
import type { ChunkingParams } from './chunker.js';
import { createDecompressor, sniffCompression, SNIFF_BYTES, type Decompressor } from './decompress.js';
import { EntryRows } from './entry-rows.js';
import { TarParser } from './tar.js';

export interface LayerScanOptions {
  /** Compressed digest from the manifest; the blob is verified against it while reading. */
  layerDigest: string;
  /** Blob size from the manifest, checked when given. */
  expectedSize?: number;
  /** Content-defined chunking of file contents; off when absent. */
  chunking?: ChunkingParams;
}

/** Receives rows in batches, in entry order. */
export interface LayerSink {
  files(rows: FileRow[]): void;
  chunks?(rows: ChunkRow[]): void;
}

/**
 * Scans one layer blob in a single pass, without unpacking: compressed bytes in, rows out.
 * Verifies digest and size, sniffs the compression, hashes the decompressed stream (diff_id),
 * walks the tar and hashes and classifies every file. Errors are ImgscanErrors carrying the layer.
 */
export class LayerScanner {
  private readonly blobHash: Hash;
  private readonly tarHash = createHash('sha256');
  private readonly rows: EntryRows;
  private readonly tar: TarParser;
  private decompressor: Decompressor | null = null;
  private compression: Compression = 'none';
  private head: Uint8Array[] = [];
  private headBytes = 0;
  private compressedSize = 0;
  private tarSize = 0;
  private failure: ImgscanError | null = null;
  private ended = false;
  private readonly onOutput = (out: Uint8Array): void => {
    this.tarHash.update(out);
    this.tarSize += out.length;
    this.tar.push(out);
  };

  constructor(private readonly options: LayerScanOptions, sink: LayerSink) {
    const digest = options.layerDigest;
    if (!isDigest(digest)) {
      throw new ImgscanError('DIGEST_MISMATCH', `cannot verify ${digest}: not a sha256 or sha512 digest`, { layer: digest });
    }
    this.blobHash = createHash(digestAlgorithm(digest));
    try {
      this.rows = new EntryRows(digest, sink, options.chunking);
    } catch (err) {
      throw withContext(err, { layer: digest });
    }
    this.tar = new TarParser(this.rows);
  }

  /**
   * Feeds the next compressed bytes. Await the result when it is a promise (backpressure).
   * The chunk must not be modified until then.
   */
  write(chunk: Uint8Array): void | Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (this.ended) throw this.fail(new ImgscanError('INTERNAL', 'write after end'));
    try {
      this.blobHash.update(chunk);
      this.compressedSize += chunk.length;
      const expected = this.options.expectedSize;
      if (expected !== undefined && this.compressedSize > expected) {
        throw new ImgscanError('SIZE_MISMATCH', `size mismatch: expected ${expected} bytes, got more`);
      }
      if (this.decompressor === null) {
        this.head.push(chunk.length < SNIFF_BYTES ? chunk.slice() : chunk);
        this.headBytes += chunk.length;
        if (this.headBytes < SNIFF_BYTES) return;
        return this.guard(this.start());
      }
      return this.guard(this.decompressor.write(chunk));
    } catch (err) {
      throw this.fail(err);
    }
  }

  /** Finishes the layer: checks size and digest, flushes decompression and rows, returns the layer row. */
  async end(): Promise<LayerRow> {
    if (this.failure !== null) throw this.failure;
    if (this.ended) throw this.fail(new ImgscanError('INTERNAL', 'end called twice'));
    this.ended = true;
    try {
      if (this.decompressor === null) await this.start();
      const { expectedSize, layerDigest } = this.options;
      if (expectedSize !== undefined && this.compressedSize !== expectedSize) {
        throw new ImgscanError('SIZE_MISMATCH', `size mismatch: expected ${expectedSize} bytes, got ${this.compressedSize}`);
      }
      const actual = `${digestAlgorithm(layerDigest)}:${this.blobHash.digest('hex')}`;
      if (actual !== layerDigest) {
        throw new ImgscanError('DIGEST_MISMATCH', `digest mismatch: expected ${layerDigest}, got ${actual}`);
      }
      await this.decompressor!.end();
      this.tar.end();
      this.rows.flush();
      return this.layerRow();
    } catch (err) {
      throw this.fail(err);
    }
  }

  /** Abandons the scan and frees the decompressor. */
  destroy(): void {
    this.ended = true;
    this.decompressor?.destroy();
  }

  /** Sniffs the buffered head, creates the decompressor and feeds it the head. */
  private start(): void | Promise<void> {
    const head = this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head);
    this.head = [];
    this.compression = sniffCompression(head);
    this.decompressor = createDecompressor(this.compression, this.onOutput);
    return head.length > 0 ? this.decompressor.write(head) : undefined;
  }

  private guard(result: void | Promise<void>): void | Promise<void> {
    if (result === undefined) return;
    return result.catch((err: unknown) => {
      throw this.fail(err);
    });
  }

  private fail(err: unknown): ImgscanError {
    if (this.failure === null) {
      this.failure = withContext(err, { layer: this.options.layerDigest });
      this.ended = true;
      this.decompressor?.destroy();
    }
    return this.failure;
  }

  private layerRow(): LayerRow {
    const c = this.rows.counts;
    return {
      layer_digest: this.options.layerDigest,
      diff_id: 'sha256:' + this.tarHash.digest('hex'),
      compression: this.compression,
      compressed_size: this.compressedSize,
      tar_size: this.tarSize,
      files_size: this.rows.filesSize,
      entry_count: this.tar.entryCount,
      file_count: c.file,
      dir_count: c.dir,
      symlink_count: c.symlink,
      hardlink_count: c.hardlink,
      char_count: c.char,
      block_count: c.block,
      fifo_count: c.fifo,
      whiteout_count: c.whiteout,
      opaque_count: c.opaque,
      chunker: this.rows.chunker,
    };
  }
}

/** Scans a whole blob stream (e.g. a Readable) with a LayerScanner. */
export async function scanLayer(input: AsyncIterable<Uint8Array>, options: LayerScanOptions, sink: LayerSink): Promise<LayerRow> {
  const scanner = new LayerScanner(options, sink);
  try {
    for await (const chunk of input) await scanner.write(chunk);
  } catch (err) {
    scanner.destroy();
    throw withContext(err, { layer: options.layerDigest }, 'BLOB_MISSING');
  }
  return scanner.end();
}
