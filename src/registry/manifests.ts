import { ImgscanError, type ErrorContext } from '../errors.js';
import { isDigest } from '../oci/digest.js';
import { parseDocument, type ParsedDocument } from '../oci/manifest.js';
import { isSchema1Type, manifestAccept } from '../oci/media-types.js';
import { maxManifestBytes, maxManifestLayers } from './limits.js';
import { schema1Payload } from './schema1.js';
import { pullScope } from './tags.js';
import type { Transport } from './transport.js';
import { digestLike } from '../oci/verify.js';

/** A manifest or index as fetched: the exact bytes, their identity and the parsed document. */
export interface FetchedManifest {
  /** The manifest digest: of the bytes, or of the payload without signatures for signed schema 1. */
  digest: string;
  /** Media type from the document, else the Content-Type header. */
  mediaType: string;
  bytes: Buffer;
  document: ParsedDocument;
}

/**
 * Fetches a manifest by tag or digest, always sending every manifest media type in Accept. The digest of the
 * bytes is the image identity; it must equal the requested digest (when fetched by digest) and the
 * Docker-Content-Digest header (when the registry sends one). A document over 4 MiB, or an image manifest of more
 * than 4096 layers, is refused as MANIFEST_INVALID (see limits.ts).
 */
export async function fetchManifest(transport: Transport, repository: string, reference: string, context: ErrorContext = {}): Promise<FetchedManifest> {
  const ctx = { repository, ...context };
  const { response, body } = await transport.fetchBytes({
    url: `/v2/${repository}/manifests/${reference}`,
    headers: { accept: manifestAccept },
    scope: pullScope(repository),
    context: ctx,
    limit: { bytes: maxManifestBytes, code: 'MANIFEST_INVALID', what: `manifest ${reference}` },
  });
  const contentType = response.headers.get('content-type')?.split(';')[0].trim() || undefined;
  const document = parseDocument(body, contentType, ctx);
  checkLayerCount(document, reference, ctx);
  const identityBytes = isSchema1Type(document.mediaType) ? schema1Payload(body, ctx).payload : body;
  const headerDigest = response.headers.get('docker-content-digest')?.trim() || undefined;
  const expected = isDigest(reference) ? reference : headerDigest && isDigest(headerDigest) ? headerDigest : undefined;
  const digest = digestLike(identityBytes, expected);
  for (const [what, want] of [
    ['requested digest', isDigest(reference) ? reference : undefined],
    ['Docker-Content-Digest', headerDigest],
  ] as const) {
    if (want && digestLike(identityBytes, want) !== want) {
      throw new ImgscanError('DIGEST_MISMATCH', `manifest ${reference}: bytes have digest ${digestLike(identityBytes, want)}, ${what} is ${want}`, ctx);
    }
  }
  return { digest, mediaType: document.mediaType, bytes: body, document };
}

/** Refuses an image manifest that lists more layers than `maxManifestLayers`. */
function checkLayerCount(document: ParsedDocument, reference: string, context: ErrorContext): void {
  const layers = document.kind === 'manifest' ? document.manifest.layers : document.kind === 'schema1' ? document.raw.fsLayers : undefined;
  if (Array.isArray(layers) && layers.length > maxManifestLayers) {
    throw new ImgscanError('MANIFEST_INVALID', `manifest ${reference} lists ${layers.length} layers, more than the ${maxManifestLayers} allowed: refused`, context);
  }
}
