import PQueue from 'p-queue';
import { withContext } from '../errors.js';
import type { Source } from '../sources/types.js';
import { Ledger } from '../store/ledger.js';
import type { DatasetWriter } from '../store/writer.js';
import { CommitScheduler } from './commit-scheduler.js';
import { FailureRecorder } from './failure-recorder.js';
import { ImageStorer } from './image-storer.js';
import { LayerReader } from './layer-reader.js';
import { emptySummary, type ScanOptions, type ScanSummary } from './scan-types.js';

export type { ScanFailure, ScanOptions, ScanProgress, ScanSummary } from './scan-types.js';

/**
 * Streams the images of every source into the dataset: each unique layer once (layers already stored are
 * skipped), then each image's rows once all its layers are stored and their diff_ids checked. Writers of the
 * same data dir share the work through the ledger (docs/ledger.md).
 */
export async function scanSources(sources: Source[], writer: DatasetWriter, options: ScanOptions): Promise<ScanSummary> {
  const summary = emptySummary();
  const ledger = Ledger.for(writer);
  const failures = new FailureRecorder(writer, options, summary);
  const commits = new CommitScheduler(writer, ledger, { rows: options.commitRows ?? 250_000, ms: (options.commitSeconds ?? 30) * 1000 });
  const layers = new LayerReader(writer, ledger, commits, failures, options, summary);
  const images = new ImageStorer(ledger, layers, failures, summary, options.progress);
  const imageQueue = new PQueue({ concurrency: Math.max(options.workers, 1) * 4 });
  try {
    for (const source of sources) {
      if (failures.fatal) break;
      try {
        for await (const image of source.images()) {
          if (failures.fatal) break;
          summary.images++;
          options.progress?.image?.(image);
          await imageQueue.onSizeLessThan(imageQueue.concurrency);
          void imageQueue.add(() => images.store(image).catch((err) => failures.record(withContext(err, { image: image.name }), image)));
        }
      } catch (err) {
        failures.record(withContext(err, { source: source.name }), undefined);
      }
    }
    await imageQueue.onIdle();
    await layers.idle();
  } finally {
    commits.stop();
    await layers.close();
    // What finished is published; after a failure, that failure is the one reported, not a later one.
    await commits.finish(() => failures.fatal !== undefined);
  }
  if (failures.fatal) throw failures.fatal;
  return summary;
}
