import PQueue from 'p-queue';
import { type ImgscanError, withContext } from '../errors.js';
import { isForeignLayer } from '../oci/artifact.js';
import type { Image, Layer } from '../sources/types.js';
import type { LayerLease, Ledger } from '../store/ledger.js';
import type { DatasetWriter } from '../store/writer.js';
import type { CommitScheduler } from './commit-scheduler.js';
import type { FailureRecorder } from './failure-recorder.js';
import { defaultMaxLayerFailures, ImageLayerReads } from './layer-failures.js';
import { LayerPool } from './pool.js';
import type { ScanOptions, ScanSummary } from './scan-types.js';
import { inflaterForLayer } from '../layers/decompress.js';

/**
 * Reads each layer once into the writer, resolving to its diff_id: a layer stored already (here or by another
 * writer of the data dir) is skipped, one another writer is reading is waited for (the ledger), the others are
 * queued for the worker pool, the biggest first.
 */
export class LayerReader {
  private readonly pool: LayerPool;
  private readonly queue: PQueue;
  private readonly tasks = new Map<string, Promise<string>>();
  private readonly skipped = new Set<string>();
  private readonly foreign = new Set<string>();
  private readonly imageLayers: ImageLayerReads;

  constructor(
    private readonly writer: DatasetWriter,
    private readonly ledger: Ledger,
    private readonly commits: CommitScheduler,
    private readonly failures: FailureRecorder,
    private readonly options: ScanOptions,
    private readonly summary: ScanSummary,
  ) {
    this.pool = new LayerPool(options.workers);
    this.queue = new PQueue({ concurrency: options.layerConcurrency ?? Math.max(options.workers, 1) });
    this.imageLayers = new ImageLayerReads(options.maxLayerFailures ?? defaultMaxLayerFailures);
  }

  /**
   * The diff_ids of the image's layers, read as `read` does; each failure goes to `report` (see
   * ImageLayerReads.read: an image with too many failed layers is given up).
   */
  readImage(image: Image, layers: Layer[], report: (err: ImgscanError) => boolean): Promise<string[]> {
    return this.imageLayers.read(image, layers, (l) => this.read(l, image), report);
  }

  /** The layer's diff_id, once it is stored. */
  read(layer: Layer, image: Image): Promise<string> {
    const digest = layer.descriptor.digest;
    // A foreign layer (Windows base layers) is not registry content: registries do not serve it, and it is left
    // unread, its diff_id taken from the config; analysis counts it among the layers not read.
    if (isForeignLayer(layer.descriptor.mediaType)) {
      if (!this.foreign.has(digest)) this.summary.layers_foreign++;
      this.foreign.add(digest);
      return Promise.resolve(layer.diffId ?? '');
    }
    let task = this.tasks.get(digest);
    if (!task) this.tasks.set(digest, (task = this.acquire(layer, image)));
    return task;
  }

  /** Resolves once no layer is queued or being read. */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async acquire(layer: Layer, image: Image): Promise<string> {
    const digest = layer.descriptor.digest;
    const ticket = await this.ledger.acquireLayer(digest, this.failures.signal);
    if (ticket.state === 'yours') return this.enqueue(layer, image, ticket.lease);
    if (!this.skipped.has(digest)) {
      this.summary.layers_skipped++;
      this.options.progress?.layerAlreadyStored?.(layer);
    }
    this.skipped.add(digest);
    return ticket.diffId;
  }

  private enqueue(layer: Layer, image: Image, lease: LayerLease): Promise<string> {
    this.options.progress?.layerQueued?.(layer);
    // Of the layers waiting, the biggest start first: fewer workers idle while one big layer finishes last.
    return this.queue.add(() => this.scan(layer, image, lease), { priority: layer.descriptor.size ?? 0 }) as Promise<string>;
  }

  private async scan(layer: Layer, image: Image, lease: LayerLease): Promise<string> {
    const digest = layer.descriptor.digest;
    const { options, summary, writer } = this;
    lease.begin();
    try {
      if (this.failures.fatal) throw this.failures.fatal;
      if (this.imageLayers.unwanted(digest)) throw this.imageLayers.notRead(digest);
      const row = await this.pool.scan({ layerDigest: digest, expectedSize: layer.descriptor.size, chunking: options.chunking, sampleRate: options.sampleRate, inflater: inflaterForLayer(options.inflater, layer.descriptor.size) }, layer, {
        files: (rows) => {
          writer.add('files', rows);
          summary.files += rows.filter((r) => r.entry_type === 'file').length;
        },
        chunks: (rows) => writer.add('chunks', rows),
        bytes: (n) => options.progress?.bytes?.(n),
      });
      lease.finish(row);
      summary.layers_read++;
      summary.compressed_bytes += row.compressed_size;
      summary.tar_bytes += row.tar_size;
      options.progress?.layerDone?.(row);
      await this.commits.afterLayer(this.queue);
      return row.diff_id;
    } catch (err) {
      // An image that wants it later reads it after all.
      if (this.imageLayers.isNotRead(err)) this.tasks.delete(digest);
      await lease.abort();
      options.progress?.layerDone?.(undefined);
      throw err === this.failures.fatal ? err : withContext(err, { image: image.name, layer: digest }, 'INTERNAL');
    }
  }
}
