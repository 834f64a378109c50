import { ImgscanError, type ErrorContext } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import { digestLike } from '../oci/verify.js';
import { maxConfigBytes } from './limits.js';
import { pullScope } from './tags.js';
import type { Transport } from './transport.js';

/**
 * Fetches an image config and checks it against the manifest's config descriptor. Errors name the config (not a
 * layer): a config over `maxConfigBytes` is CONFIG_INVALID, wrong bytes SIZE_MISMATCH or DIGEST_MISMATCH with
 * the expected and the actual value.
 */
export async function fetchConfig(transport: Transport, repository: string, desc: Pick<Descriptor, 'digest' | 'size'>, context: ErrorContext = {}): Promise<Buffer> {
  const ctx = { repository, ...context };
  const what = `config ${desc.digest}`;
  const { body } = await transport.fetchBytes({
    url: `/v2/${repository}/blobs/${desc.digest}`,
    // Storage backends may send Content-Encoding for blobs; the config's digest is of the bytes as stored.
    headers: { 'accept-encoding': 'identity' },
    scope: pullScope(repository),
    context: ctx,
    limit: { bytes: maxConfigBytes, code: 'CONFIG_INVALID', what, complete: desc.size >= 0 ? desc.size : undefined },
  });
  if (desc.size >= 0 && body.length !== desc.size) {
    throw new ImgscanError('SIZE_MISMATCH', `${what} has ${body.length} bytes, the manifest gives ${desc.size}`, ctx);
  }
  const actual = digestLike(body, desc.digest);
  if (actual !== desc.digest) throw new ImgscanError('DIGEST_MISMATCH', `${what} has digest ${actual}, the manifest gives ${desc.digest}`, ctx);
  return body;
}
