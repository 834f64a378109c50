import { ImgscanError } from '../errors.js';

/** A certificate or TLS failure ends with the flag that gets past it. */
export function withInsecureHint(err: unknown): unknown {
  if (!(err instanceof ImgscanError) || err.code !== 'TLS') return err;
  return new ImgscanError(err.code, `${err.message}; --insecure skips certificate verification (and falls back to plain HTTP)`, err.context, { cause: err });
}
