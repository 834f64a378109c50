import type { ScanProgress } from '../pipeline/scan.js';
import { Progress } from './progress.js';

/**
 * A progress display for scans and crawls: images, layers finished/queued, bytes, rate, ETA; on a re-scan, how
 * many images and layers were in the dataset already. `print` writes a message line on stderr above the display.
 * `stop` leaves the last line only once the scan has begun (its first image): an error before that, such as a
 * source that cannot be opened, ends without an empty progress line.
 */
export function scanProgress(enabled: boolean, stream?: NodeJS.WriteStream): { hooks: ScanProgress; print(message: string): void; stop(final?: boolean): void } {
  const p = new Progress({ enabled, stream, intervalMs: stream ? 60_000 : undefined });
  let queuedBytes = 0;
  let begun = false;
  const queued = new Set<string>();
  const stored = new Set<string>();
  let imagesStored = 0;
  const noteStored = () => {
    p.note('images', imagesStored ? `${imagesStored} already in the dataset` : undefined);
    p.note('layers', stored.size ? `${stored.size} already in the dataset` : undefined);
  };
  p.set('images', 0);
  p.set('layers', 0, 0);
  return {
    hooks: {
      image: () => {
        begun = true;
        p.add('images');
      },
      layerQueued: (layer) => {
        queued.add(layer.descriptor.digest);
        p.addTotal('layers');
        queuedBytes += layer.descriptor.size;
        p.totalBytes(queuedBytes);
      },
      layerDone: () => p.add('layers'),
      layerAlreadyStored: (layer) => {
        stored.add(layer.descriptor.digest);
        noteStored();
      },
      imageAlreadyStored: (image) => {
        imagesStored++;
        // Its layers are in the dataset with it (they are not looked at again).
        for (const l of image.layers()) if (!queued.has(l.descriptor.digest)) stored.add(l.descriptor.digest);
        noteStored();
      },
      bytes: (n) => p.addBytes(n),
    },
    print: (message) => p.print(message),
    stop: (final?: boolean) => p.stop((final ?? true) && begun),
  };
}
