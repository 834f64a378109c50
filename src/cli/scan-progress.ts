import type { ScanProgress } from '../pipeline/scan.js';
import { Progress } from './progress.js';

/**
 * A progress display for scans and crawls: images, layers done/queued, bytes, rate, ETA. `print` writes a message
 * line on stderr above the display.
 */
export function scanProgress(enabled: boolean): { hooks: ScanProgress; print(message: string): void; stop(final?: boolean): void } {
  const p = new Progress({ enabled });
  let queuedBytes = 0;
  p.set('images', 0);
  p.set('layers', 0, 0);
  return {
    hooks: {
      image: () => p.add('images'),
      layerQueued: (layer) => {
        p.addTotal('layers');
        queuedBytes += layer.descriptor.size;
        p.totalBytes(queuedBytes);
      },
      layerDone: () => p.add('layers'),
      bytes: (n) => p.addBytes(n),
    },
    print: (message) => p.print(message),
    stop: (final?: boolean) => p.stop(final),
  };
}
