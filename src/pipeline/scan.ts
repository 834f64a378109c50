import PQueue from 'p-queue';
import { ImgscanError, withContext } from '../errors.js';
import type { ChunkingParams } from '../layers/chunker.js';
import { failureRow, type Failure } from '../model/failure.js';
import type { Image, Layer, Source } from '../sources/types.js';
import type { LayerRow } from '../model/rows.js';
import type { DatasetWriter } from '../store/writer.js';
import { LayerPool } from './pool.js';
import { imageRows } from './image-rows.js';
import { isForeignLayer } from '../oci/artifact.js';
import { defaultMaxLayerFailures, ImageLayerReads } from './layer-failures.js';

export interface ScanOptions {
  /** Worker threads for layers; 0 scans on the calling thread. */
  workers: number;
  /** Layers read at once (default: workers, at least 1). */
  layerConcurrency?: number;
  /** Content-defined chunking of file contents, off when absent. */
  chunking?: ChunkingParams;
  /** Commit a batch once this many rows are staged (default 250k) ... */
  commitRows?: number;
  /** ... or this many seconds after the last commit (default 30). */
  commitSeconds?: number;
  /** A failed image is recorded in `failures` and the scan goes on, instead of stopping at the first. */
  keepGoing?: boolean;
  /** Layer failures of one image after which its other layers are left unread and the image fails (default 10). */
  maxLayerFailures?: number;
  progress?: ScanProgress;
  /** Receives each row added to `failures`: a layer, an image or a source that failed. */
  onFailure?: (failure: ScanFailure) => void;
}

/** A layer, an image or a source that failed: one row of `failures`. */
export type ScanFailure = Failure;

/** Hooks for a progress display. */
export interface ScanProgress {
  image?(image: Image): void;
  layerQueued?(layer: Layer): void;
  layerDone?(layer: LayerRow | undefined): void;
  bytes?(n: number): void;
}

export interface ScanSummary {
  images: number;
  images_stored: number;
  images_already_stored: number;
  image_refs_added: number;
  layers_read: number;
  layers_skipped: number;
  /** Foreign (non-distributable) layers: not in the registry, served from elsewhere, not read. */
  layers_foreign: number;
  files: number;
  compressed_bytes: number;
  tar_bytes: number;
  failures: number;
}

/**
 * Streams the images of every source into the dataset: each unique layer once (layers already stored are
 * skipped), then each image's rows once all its layers are stored and their diff_ids checked.
 */
export async function scanSources(sources: Source[], writer: DatasetWriter, options: ScanOptions): Promise<ScanSummary> {
  const summary: ScanSummary = { images: 0, images_stored: 0, images_already_stored: 0, image_refs_added: 0, layers_read: 0, layers_skipped: 0, layers_foreign: 0, files: 0, compressed_bytes: 0, tar_bytes: 0, failures: 0 };
  const pool = new LayerPool(options.workers);
  const layerQueue = new PQueue({ concurrency: options.layerConcurrency ?? Math.max(options.workers, 1) });
  const imageQueue = new PQueue({ concurrency: Math.max(options.workers, 1) * 4 });
  const layerTasks = new Map<string, Promise<string>>();
  const skipped = new Set<string>();
  const commitRows = options.commitRows ?? 250_000;
  const commitMs = (options.commitSeconds ?? 30) * 1000;
  let lastCommit = Date.now();
  let fatal: ImgscanError | undefined;
  let committing: Promise<unknown> = Promise.resolve();

  const maybeCommit = async (force = false) => {
    if (!force && writer.pendingRows < commitRows && Date.now() - lastCommit < commitMs) return;
    lastCommit = Date.now();
    committing = committing.then(() => writer.commit());
    await committing;
  };

  // Another writer of the same data dir waits for something staged here: publish it now.
  const commitIfWaited = async () => {
    if (writer.wantsCommit()) await maybeCommit(true);
  };
  const waitTimer = setInterval(() => void commitIfWaited().catch(() => undefined), 1000);
  waitTimer.unref();

  const skip = (digest: string, diffId: string): string => {
    if (!skipped.has(digest)) summary.layers_skipped++;
    skipped.add(digest);
    return diffId;
  };

  const foreign = new Set<string>();
  const imageLayers = new ImageLayerReads(options.maxLayerFailures ?? defaultMaxLayerFailures);
  const readLayer = (layer: Layer, image: Image): Promise<string> => {
    const digest = layer.descriptor.digest;
    // A foreign layer (Windows base layers) is not registry content: registries do not serve it, and it is left
    // unread, its diff_id taken from the config; analysis counts it among the layers not read.
    if (isForeignLayer(layer.descriptor.mediaType)) {
      if (!foreign.has(digest)) summary.layers_foreign++;
      foreign.add(digest);
      return Promise.resolve(layer.diffId ?? '');
    }
    let task = layerTasks.get(digest);
    if (task) return task;
    const known = writer.layerDiffId(digest);
    if (known) return Promise.resolve(skip(digest, known));
    task = claimLayer(layer, image);
    layerTasks.set(digest, task);
    return task;
  };

  /** Reads the layer once it is ours; when another writer of the data dir reads it, takes its result. */
  const claimLayer = async (layer: Layer, image: Image): Promise<string> => {
    const digest = layer.descriptor.digest;
    for (;;) {
      if (fatal) throw fatal;
      if (writer.claimLayer(digest)) {
        await writer.refresh();
        const known = writer.layerDiffId(digest);
        if (!known) return queueLayer(layer, image);
        writer.releaseLayer(digest);
        return skip(digest, known);
      }
      await writer.awaitLayer(digest, commitIfWaited);
      const known = writer.layerDiffId(digest);
      if (known) return skip(digest, known);
    }
  };

  const queueLayer = (layer: Layer, image: Image): Promise<string> => {
    const digest = layer.descriptor.digest;
    options.progress?.layerQueued?.(layer);
    // Of the layers waiting, the biggest start first: fewer workers idle while one big layer finishes last.
    return layerQueue.add(async () => {
      writer.beginLayer(digest);
      try {
        if (fatal) throw fatal;
        if (imageLayers.unwanted(digest)) throw imageLayers.notRead(digest);
        const row = await pool.scan({ layerDigest: digest, expectedSize: layer.descriptor.size, chunking: options.chunking }, layer, {
          files: (rows) => {
            writer.add('files', rows);
            summary.files += rows.filter((r) => r.entry_type === 'file').length;
          },
          chunks: (rows) => writer.add('chunks', rows),
          bytes: (n) => options.progress?.bytes?.(n),
        });
        writer.finishLayer(row);
        summary.layers_read++;
        summary.compressed_bytes += row.compressed_size;
        summary.tar_bytes += row.tar_size;
        options.progress?.layerDone?.(row);
        // No layer waits and another is still being read: a core is idle from now on, so what is staged is
        // written while the last layers finish, not after them (not for a few rows: parts would be tiny).
        const tail = layerQueue.size === 0 && layerQueue.pending > 1 && writer.pendingRows >= commitRows / 10;
        await maybeCommit(writer.wantsCommit() || tail);
        return row.diff_id;
      } catch (err) {
        // An image that wants it later reads it after all.
        if (imageLayers.isNotRead(err)) layerTasks.delete(digest);
        await writer.abortLayer(digest);
        options.progress?.layerDone?.(undefined);
        throw err === fatal ? err : withContext(err, { image: image.name, layer: digest }, 'INTERNAL');
      }
    }, { priority: layer.descriptor.size ?? 0 }) as Promise<string>;
  };

  const imageTasks = new Map<string, Promise<void>>();
  const storeImage = async (image: Image) => {
    // The same image may come from several sources at once: the first stores it, the others add their refs.
    const first = imageTasks.get(image.digest);
    const task = first ? first.catch(() => undefined).then(() => storeImageOnce(image)) : storeImageOnce(image);
    if (!first) imageTasks.set(image.digest, task);
    await task;
  };

  const storeImageOnce = async (image: Image) => {
    const rows = imageRows(image);
    // The image claim covers the image and its refs: another writer of the data dir storing the image or refs
    // to it holds the claim until they are committed. Held here, every ref stored by others is visible (after
    // the refresh), so only refs new to the dataset are added, once however many writers race.
    while (!writer.claimImage(image.digest)) await writer.awaitImage(image.digest, commitIfWaited);
    await writer.refresh();
    const newRefs = rows.image_refs.filter((r) => !writer.hasRef(r));
    if (writer.hasImage(image.digest)) {
      summary.images_already_stored++;
      try {
        writer.add('image_refs', newRefs);
      } finally {
        // Kept by the writer while rows it covers (the image staged here, or these refs) wait for their commit.
        writer.releaseImage(image.digest);
      }
      summary.image_refs_added += newRefs.length;
      return;
    }
    try {
      const layers = image.layers();
      const diffIds = await imageLayers.read(image, layers, (l) => readLayer(l, image), (err) => fail(err, image));
      layers.forEach((l, i) => {
        if (l.diffId && l.diffId !== diffIds[i]) {
          throw new ImgscanError('DIFFID_MISMATCH', `the config lists diff_id ${l.diffId} at position ${i}, the layer decompresses to ${diffIds[i]}`, { image: image.name, layer: l.descriptor.digest });
        }
      });
    } catch (err) {
      writer.releaseImage(image.digest);
      throw err;
    }
    writer.add('images', [rows.images]);
    writer.add('image_layers', rows.image_layers);
    writer.add('image_refs', newRefs);
    summary.images_stored++;
    summary.image_refs_added += newRefs.length;
  };

  /** Adds a failures row, once per error and image; false for an error not recorded (the one that stopped the scan, again). */
  const recorded = new WeakMap<ImgscanError, Set<Image | undefined>>();
  const fail = (err: ImgscanError, image: Image | undefined): boolean => {
    if ((fatal && err === fatal) || recorded.get(err)?.has(image)) return false;
    // Once the store has failed the scan ends, even with keepGoing: no row after that could be stored.
    const storeFailure = err.code === 'STORE' ? err : writer.failure;
    if (storeFailure) {
      fatal ??= storeFailure;
      return false;
    }
    recorded.set(err, (recorded.get(err) ?? new Set()).add(image));
    summary.failures++;
    const f: ScanFailure = { scope: err.context.layer ? 'layer' : image ? 'image' : 'source', target: err.context.layer ?? image?.name ?? err.context.source ?? '', image: image?.name ?? null, error: err };
    writer.add('failures', [failureRow(f)]);
    options.onFailure?.(f);
    if (!options.keepGoing) fatal ??= err;
    return true;
  };

  try {
    for (const source of sources) {
      if (fatal) break;
      try {
        for await (const image of source.images()) {
          if (fatal) break;
          summary.images++;
          options.progress?.image?.(image);
          await imageQueue.onSizeLessThan(imageQueue.concurrency);
          void imageQueue.add(() => storeImage(image).catch((err) => fail(withContext(err, { image: image.name }), image)));
        }
      } catch (err) {
        await fail(withContext(err, { source: source.name }), undefined);
      }
    }
    await imageQueue.onIdle();
    await layerQueue.onIdle();
  } finally {
    clearInterval(waitTimer);
    await pool.close();
    await committing.catch(() => undefined);
    // What finished is published; after a failure, that failure is the one reported, not a later one.
    await writer.commit().catch((err: unknown) => {
      if (!fatal) throw err;
    });
  }
  if (fatal) throw fatal;
  return summary;
}
