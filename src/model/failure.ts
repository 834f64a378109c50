import type { ImgscanError } from '../errors.js';
import type { FailureRow } from './rows.js';

/** Something that failed without ending the run, as its row in `failures` records it. */
export interface Failure {
  scope: FailureRow['scope'];
  /** registry/repository, the image's name, the source as given, or the layer digest. */
  target: string;
  /** The image that failed, or the one a layer failed in; null for a repository or a source. */
  image: string | null;
  error: ImgscanError;
}

/** The `failures` row of a failure, stamped with the time it is recorded. */
export function failureRow(f: Failure, failedAt = new Date()): FailureRow {
  return { scope: f.scope, target: f.target, image: f.image, layer_digest: f.error.context.layer ?? null, code: f.error.code, message: f.error.message, failed_at: failedAt };
}
