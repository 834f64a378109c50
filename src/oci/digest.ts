import { createHash } from 'node:crypto';

const digestPattern = /^sha256:[0-9a-f]{64}$|^sha512:[0-9a-f]{128}$/;

/** True for a digest imgscan can verify (sha256 or sha512, lowercase hex). */
export function isDigest(value: string): boolean {
  return digestPattern.test(value);
}

export function sha256Digest(data: Uint8Array | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** Algorithm name of a digest, e.g. "sha256". */
export function digestAlgorithm(digest: string): string {
  return digest.slice(0, digest.indexOf(':'));
}

/** Hex part of a digest, e.g. the blob file name in an OCI layout. */
export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}
