import { ImgscanError } from '../errors.js';

/** One line for the user: the typed error with its context and code, or the plain message. */
export function describeError(err: unknown): string {
  if (err instanceof ImgscanError) return `${err.describe()} [${err.code}]`;
  return err instanceof Error ? err.message : String(err);
}
