import { ImgscanError } from '../errors.js';
import type { Image } from '../sources/types.js';
import type { ImageLease, Ledger } from '../store/ledger.js';
import type { FailureRecorder } from './failure-recorder.js';
import { imageRows } from './image-rows.js';
import type { LayerReader } from './layer-reader.js';
import type { ScanProgress, ScanSummary } from './scan-types.js';

/**
 * Stores each image once its layers are stored and their diff_ids checked against its config; an image stored
 * already (here or by another writer of the data dir) only gets the refs new to the dataset.
 */
export class ImageStorer {
  private readonly tasks = new Map<string, Promise<void>>();

  constructor(
    private readonly ledger: Ledger,
    private readonly layers: LayerReader,
    private readonly failures: FailureRecorder,
    private readonly summary: ScanSummary,
    private readonly progress?: ScanProgress,
  ) {}

  async store(image: Image): Promise<void> {
    // The same image may come from several sources at once: the first stores it, the others add their refs.
    const first = this.tasks.get(image.digest);
    const task = first ? first.catch(() => undefined).then(() => this.storeOnce(image)) : this.storeOnce(image);
    if (!first) this.tasks.set(image.digest, task);
    await task;
  }

  private async storeOnce(image: Image): Promise<void> {
    const rows = imageRows(image);
    const lease = await this.ledger.acquireImage(image.digest, rows.image_refs);
    if (lease.state === 'stored') {
      this.summary.images_already_stored++;
      this.progress?.imageAlreadyStored?.(image);
      lease.store();
      this.summary.image_refs_added += lease.newRefs.length;
      return;
    }
    await this.checkedLayers(image, lease);
    lease.store({ images: rows.images, image_layers: rows.image_layers, image_history: rows.image_history });
    this.summary.images_stored++;
    this.summary.image_refs_added += lease.newRefs.length;
  }

  /** Reads the image's layers and checks their diff_ids; on failure the image's claim is given up. */
  private async checkedLayers(image: Image, lease: ImageLease): Promise<void> {
    try {
      const layers = image.layers();
      const diffIds = await this.layers.readImage(image, layers, (err) => this.failures.record(err, image));
      layers.forEach((l, i) => {
        if (l.diffId && l.diffId !== diffIds[i]) {
          throw new ImgscanError('DIFFID_MISMATCH', `the config lists diff_id ${l.diffId} at position ${i}, the layer decompresses to ${diffIds[i]}`, { image: image.name, layer: l.descriptor.digest });
        }
      });
    } catch (err) {
      lease.abort();
      throw err;
    }
  }
}
