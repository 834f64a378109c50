import { ImgscanError, withContext } from '../errors.js';
import type { Image, Layer } from '../sources/types.js';

/** Layer failures of one image after which its other layers are left unread and the image fails. */
export const defaultMaxLayerFailures = 10;

/** What a layer left unread reports to whoever still waits on it (nobody records it as a failure). */
class LayerNotRead extends ImgscanError {}

/**
 * The layers of each image being stored: every layer failure is reported once per image, and an image with
 * `max` failed layers is given up, its layers that no other image waits for are not read.
 */
export class ImageLayerReads {
  /** Layer digest -> the images waiting for it and not given up. */
  private readonly waiting = new Map<string, Set<Image>>();

  constructor(private readonly max = defaultMaxLayerFailures) {}

  /** Whether nothing waits for this layer any more (every image that wanted it was given up). */
  unwanted(digest: string): boolean {
    return !this.waiting.get(digest)?.size;
  }

  /** The error a queued layer that is no longer wanted fails with. */
  notRead(digest: string): ImgscanError {
    return new LayerNotRead('INTERNAL', 'not read: every image using it failed before', { layer: digest });
  }

  isNotRead(err: unknown): boolean {
    return err instanceof LayerNotRead;
  }

  /**
   * Reads the layers of `image` with `read`; each failure goes to `report` (with image and layer in its context),
   * which answers whether it counts (an error that already stopped the scan does not). Resolves to the diff_ids,
   * or rejects with the first failure once every layer is done, or with one error as soon as `max` layers failed:
   * then the image's remaining layers are not waited for.
   */
  read(image: Image, layers: Layer[], read: (layer: Layer) => Promise<string>, report: (err: ImgscanError) => boolean): Promise<string[]> {
    const digests = layers.map((l) => l.descriptor.digest);
    for (const d of digests) this.waitingFor(d).add(image);
    const forget = () => digests.forEach((d) => this.stopWaiting(d, image));
    return new Promise<string[]>((resolve, reject) => {
      const diffIds = new Array<string>(layers.length);
      let first: ImgscanError | undefined;
      let failed = 0;
      let pending = layers.length;
      let given = false;
      const settle = () => {
        if (--pending > 0 || given) return;
        forget();
        if (first) reject(first);
        else resolve(diffIds);
      };
      if (pending === 0) resolve(diffIds);
      const failure = (err: unknown, layer: Layer) => {
        if (given) return;
        const e = withContext(err, { image: image.name, layer: layer.descriptor.digest }, 'INTERNAL');
        first ??= e;
        if (this.isNotRead(err) || !report(e) || ++failed < this.max || pending <= 1) return;
        given = true;
        forget();
        reject(givenUp(image, first, failed, layers.length, pending - 1));
      };
      layers.forEach((layer, i) => {
        read(layer).then(
          (diffId) => {
            diffIds[i] = diffId;
            settle();
          },
          (err: unknown) => {
            failure(err, layer);
            settle();
          },
        );
      });
    });
  }

  private stopWaiting(digest: string, image: Image): void {
    const set = this.waiting.get(digest);
    set?.delete(image);
    if (set?.size === 0) this.waiting.delete(digest);
  }

  private waitingFor(digest: string): Set<Image> {
    let set = this.waiting.get(digest);
    if (!set) this.waiting.set(digest, (set = new Set()));
    return set;
  }
}

/** The one error of an image given up after `failed` of its `total` layers failed. */
function givenUp(image: Image, first: ImgscanError, failed: number, total: number, left: number): ImgscanError {
  return new ImgscanError(first.code, `${failed} of its ${total} layers failed (the first: ${first.message}): image given up, ${left} of its layers not read`, { image: image.name });
}
