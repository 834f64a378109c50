import { createHash, type Hash } from 'node:crypto';
import { ImgscanError } from '../errors.js';
import { digestAlgorithm, isDigest } from '../oci/digest.js';

/**
 * Checks a blob against its descriptor while it is read: size as bytes arrive (an over-long blob fails at
 * once), digest at the end. The layer scanner runs one over every blob it reads.
 */
export class BlobVerifier {
  private readonly hash: Hash;
  size = 0;

  constructor(
    readonly digest: string,
    private readonly expectedSize?: number,
  ) {
    if (!isDigest(digest)) {
      throw new ImgscanError('DIGEST_MISMATCH', `cannot verify ${digest}: not a sha256 or sha512 digest`, { layer: digest });
    }
    this.hash = createHash(digestAlgorithm(digest));
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.expectedSize !== undefined && this.size > this.expectedSize) {
      throw new ImgscanError('SIZE_MISMATCH', `size mismatch: expected ${this.expectedSize} bytes, got more`);
    }
  }

  /** Throws SIZE_MISMATCH or DIGEST_MISMATCH unless the blob read is the one described. */
  finish(): void {
    if (this.expectedSize !== undefined && this.size !== this.expectedSize) {
      throw new ImgscanError('SIZE_MISMATCH', `size mismatch: expected ${this.expectedSize} bytes, got ${this.size}`);
    }
    const actual = `${digestAlgorithm(this.digest)}:${this.hash.digest('hex')}`;
    if (actual !== this.digest) {
      throw new ImgscanError('DIGEST_MISMATCH', `digest mismatch: expected ${this.digest}, got ${actual}`);
    }
  }
}
