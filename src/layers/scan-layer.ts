import { createHash } from 'node:crypto';
import { ImgscanError, withContext } from '../errors.js';
import { digestAlgorithm } from '../oci/digest.js';
import { BlobVerifier } from './blob-verifier.js';
import type { Compression, LayerRow } from '../model/rows.js';
import type { LayerJob, LayerSink } from './job.js';
import { createDecompressor, sniffCompression, SNIFF_BYTES, type Decompressor } from './decompress.js';
import { EntryRows } from './entry-rows.js';
import { TarParser } from './tar.js';
import { layerSampled, PieceCompressor } from './sample.js';

/**
 * Scans one layer blob in a single pass, without unpacking: compressed bytes in, rows out.
 * Verifies digest and size, sniffs the compression, hashes the decompressed stream (diff_id),
 * walks the tar and hashes and classifies every file. Errors are ImgscanErrors carrying the layer.
 */
export class LayerScanner {
  private readonly blob: BlobVerifier;
  private readonly tarHash = createHash('sha256');
  /** False for an uncompressed sha256 blob: its diff_id is its digest, verified as the blob is. */
  private hashTar = true;
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
  /** Compresses the layer's metadata when the layer is in the compression sample. */
  private readonly metadata: PieceCompressor | null = null;
  private readonly onOutput = (out: Uint8Array): void => {
    if (this.hashTar) this.tarHash.update(out);
    this.tarSize += out.length;
    this.tar.push(out);
  };

  constructor(private readonly options: LayerJob, sink: LayerSink) {
    const digest = options.layerDigest;
    try {
      this.blob = new BlobVerifier(digest, options.expectedSize);
      this.rows = new EntryRows(digest, sink, options.chunking, options.sampleRate);
    } catch (err) {
      throw withContext(err, { layer: digest });
    }
    this.tar = new TarParser(this.rows);
    if (options.sampleRate && layerSampled(digest, options.sampleRate)) {
      const metadata = (this.metadata = new PieceCompressor());
      this.tar.tapMetadata((slice) => metadata.add(slice));
    }
  }

  /**
   * Feeds the next compressed bytes. Await the result when it is a promise (backpressure). The chunk may be
   * reused once `write` has returned, or its promise has resolved.
   */
  write(chunk: Uint8Array): void | Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (this.ended) throw this.fail(new ImgscanError('INTERNAL', 'write after end'));
    try {
      this.blob.update(chunk);
      this.compressedSize += chunk.length;
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
      this.blob.finish();
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
    this.hashTar = !(this.compression === 'none' && digestAlgorithm(this.options.layerDigest) === 'sha256');
    this.decompressor = createDecompressor(this.compression, this.onOutput, this.options.inflater);
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
    const metadata = this.metadata?.finish() ?? null;
    return {
      layer_digest: this.options.layerDigest,
      diff_id: this.hashTar ? 'sha256:' + this.tarHash.digest('hex') : this.options.layerDigest,
      compression: this.compression,
      compressed_size: this.compressedSize,
      tar_size: this.tarSize,
      files_size: this.rows.filesSize,
      sparse_hole_size: this.tar.sparseHoleSize,
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
      sample_rate: this.rows.sampleRate,
      metadata_gzip_size: metadata?.gzip ?? null,
      metadata_zstd_size: metadata?.zstd ?? null,
    };
  }
}

/**
 * Scans a whole blob, whatever its bytes come from (a file, a stream, chunks posted to a worker): each chunk is
 * written, then counted to `sink.bytes`. A chunk may be reused once the next is asked for.
 */
export async function scanLayer(input: AsyncIterable<Uint8Array>, job: LayerJob, sink: LayerSink): Promise<LayerRow> {
  const scanner = new LayerScanner(job, sink);
  try {
    for await (const chunk of input) {
      await scanner.write(chunk);
      sink.bytes?.(chunk.byteLength);
    }
  } catch (err) {
    scanner.destroy();
    throw readFailure(err, job.layerDigest);
  }
  return scanner.end();
}

/** The error of a blob whose reading failed: typed errors keep their code, others are BLOB_MISSING. */
export function readFailure(err: unknown, layer: string): ImgscanError {
  if (err instanceof ImgscanError) return withContext(err, { layer });
  return new ImgscanError('BLOB_MISSING', `reading layer blob failed: ${(err as Error)?.message ?? String(err)}`, { layer }, { cause: err });
}
