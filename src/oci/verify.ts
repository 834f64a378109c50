import { createHash, type Hash } from 'node:crypto';
import { ImgscanError, type ErrorContext } from '../errors.js';
import { digestAlgorithm } from './digest.js';

/** A hash for the algorithm a digest names (sha256 or sha512). */
export function hasherFor(digest: string, context: ErrorContext = {}): Hash {
  const algorithm = digestAlgorithm(digest);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') throw new ImgscanError('DIGEST_MISMATCH', `unsupported digest algorithm "${algorithm}"`, context);
  return createHash(algorithm);
}

/** The digest of bytes with the algorithm of `like` (sha256 when omitted). */
export function digestLike(bytes: Uint8Array, like = 'sha256:'): string {
  const algorithm = digestAlgorithm(like) || 'sha256';
  return `${algorithm}:${hasherFor(`${algorithm}:`).update(bytes).digest('hex')}`;
}

/** Throws DIGEST_MISMATCH / SIZE_MISMATCH when bytes do not match what named them. */
export function verifyBytes(bytes: Uint8Array, expected: { digest: string; size?: number }, what: string, context: ErrorContext): void {
  if (expected.size !== undefined && expected.size >= 0 && bytes.length !== expected.size) {
    throw new ImgscanError('SIZE_MISMATCH', `${what} has ${bytes.length} bytes, expected ${expected.size}`, context);
  }
  const actual = digestLike(bytes, expected.digest);
  if (actual !== expected.digest) throw new ImgscanError('DIGEST_MISMATCH', `${what} digest is ${actual}, expected ${expected.digest}`, context);
}
