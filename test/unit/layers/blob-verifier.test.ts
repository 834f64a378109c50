import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlobVerifier } from '../../../src/layers/blob-verifier.js';

const blob = randomBytes(100_000);
const digest = 'sha256:' + createHash('sha256').update(blob).digest('hex');

function feed(v: BlobVerifier, data: Uint8Array, slice = 7919): void {
  for (let at = 0; at < data.length; at += slice) v.update(data.subarray(at, at + slice));
}

describe('BlobVerifier', () => {
  it('accepts the blob its descriptor describes, read in any slices', () => {
    const v = new BlobVerifier(digest, blob.length);
    feed(v, blob);
    expect(() => v.finish()).not.toThrow();
    expect(v.size).toBe(blob.length);
  });

  it('checks sha512 digests too', () => {
    const v = new BlobVerifier('sha512:' + createHash('sha512').update(blob).digest('hex'));
    feed(v, blob);
    expect(() => v.finish()).not.toThrow();
  });

  it('fails at once when more bytes arrive than the size says', () => {
    const v = new BlobVerifier(digest, blob.length - 1);
    expect(() => feed(v, blob)).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
  });

  it('fails a short blob on its size and a changed one on its digest', () => {
    const short = new BlobVerifier(digest, blob.length);
    feed(short, blob.subarray(1));
    expect(() => short.finish()).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
    const changed = Buffer.from(blob);
    changed[5000] ^= 1;
    const v = new BlobVerifier(digest, blob.length);
    feed(v, changed);
    expect(() => v.finish()).toThrow(expect.objectContaining({ code: 'DIGEST_MISMATCH', message: expect.stringContaining(digest) }));
  });

  it('refuses a digest it cannot verify', () => {
    expect(() => new BlobVerifier('md5:abc')).toThrow(expect.objectContaining({ code: 'DIGEST_MISMATCH' }));
  });
});
