import { ImgscanError } from '../errors.js';

/** Exit status for an error: 2 for usage and reference errors, 1 for everything else. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof ImgscanError && (err.code === 'USAGE' || err.code === 'REF_INVALID')) return 2;
  return 1;
}

/** One line for the user: the typed error with its context and code, or the plain message. */
export function describeError(err: unknown): string {
  if (err instanceof ImgscanError) return `${err.describe()} [${err.code}]`;
  return err instanceof Error ? err.message : String(err);
}
