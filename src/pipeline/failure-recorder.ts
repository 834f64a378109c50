import type { ImgscanError } from '../errors.js';
import type { Image } from '../sources/types.js';
import type { DatasetWriter } from '../store/writer.js';
import { failureRow } from '../model/failure.js';
import type { ScanFailure, ScanOptions, ScanSummary } from './scan-types.js';

/**
 * The failures of a scan: each is a failures row (once per error and image) and goes to `onFailure`. The first
 * failure that stops the scan is `fatal` (any failure without keepGoing; a failed store always), and `signal`
 * is aborted with it.
 */
export class FailureRecorder {
  private first: ImgscanError | undefined;
  private readonly recorded = new WeakMap<ImgscanError, Set<Image | undefined>>();
  private readonly stopper = new AbortController();

  constructor(
    private readonly writer: DatasetWriter,
    private readonly options: Pick<ScanOptions, 'keepGoing' | 'onFailure'>,
    private readonly summary: ScanSummary,
  ) {}

  /** The failure that stopped the scan, if one did. */
  get fatal(): ImgscanError | undefined {
    return this.first;
  }

  /** Aborted, with the fatal failure as reason, once the scan stops. */
  get signal(): AbortSignal {
    return this.stopper.signal;
  }

  /** Adds a failures row; false for an error not recorded (the one that stopped the scan, again). */
  record(err: ImgscanError, image: Image | undefined): boolean {
    if ((this.first && err === this.first) || this.recorded.get(err)?.has(image)) return false;
    // Once the store has failed the scan ends, even with keepGoing: no row after that could be stored.
    const storeFailure = err.code === 'STORE' ? err : this.writer.failure;
    if (storeFailure) {
      this.stop(storeFailure);
      return false;
    }
    this.recorded.set(err, (this.recorded.get(err) ?? new Set()).add(image));
    this.summary.failures++;
    const f: ScanFailure = { scope: err.context.layer ? 'layer' : image ? 'image' : 'source', target: err.context.layer ?? image?.name ?? err.context.source ?? '', image: image?.name ?? null, error: err };
    this.writer.add('failures', [failureRow(f)]);
    this.options.onFailure?.(f);
    if (!this.options.keepGoing) this.stop(err);
    return true;
  }

  private stop(err: ImgscanError): void {
    if (this.first) return;
    this.first = err;
    this.stopper.abort(err);
  }
}
