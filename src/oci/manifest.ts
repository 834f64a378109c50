import { ImgscanError, type ErrorContext } from '../errors.js';
import { isDigest } from './digest.js';
import { isIndexType, isManifestType, isSchema1Type, MediaType } from './media-types.js';
import type { Descriptor, ImageConfig, Index, Manifest } from './types.js';

export type ParsedDocument =
  | { kind: 'manifest'; mediaType: string; manifest: Manifest }
  | { kind: 'index'; mediaType: string; index: Index }
  | { kind: 'schema1'; mediaType: string; raw: Record<string, unknown> };

function fail(message: string, context: ErrorContext): ImgscanError {
  return new ImgscanError('MANIFEST_INVALID', message, context);
}

function checkDescriptor(d: unknown, where: string, context: ErrorContext): Descriptor {
  const desc = d as Descriptor;
  if (!desc || typeof desc !== 'object') throw fail(`${where}: not an object`, context);
  if (typeof desc.digest !== 'string' || !isDigest(desc.digest)) throw fail(`${where}: bad digest ${JSON.stringify(desc.digest)}`, context);
  if (typeof desc.size !== 'number' || !Number.isSafeInteger(desc.size) || desc.size < 0) throw fail(`${where}: bad size ${JSON.stringify(desc.size)}`, context);
  if (typeof desc.mediaType !== 'string') throw fail(`${where}: missing mediaType`, context);
  return desc;
}

/**
 * Parses and validates a manifest, index or schema 1 document. The media type comes from the document, else from
 * the transport (Content-Type, descriptor), else from its shape.
 */
export function parseDocument(bytes: Uint8Array, hintMediaType: string | undefined, context: ErrorContext): ParsedDocument {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw fail(`not valid JSON: ${(err as Error).message}`, context);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw fail('not a JSON object', context);
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  let mediaType = declared ?? hintMediaType;
  if (doc.schemaVersion === 1) mediaType = isSchema1Type(mediaType) ? mediaType : MediaType.dockerSchema1;
  if (!mediaType || (!isIndexType(mediaType) && !isManifestType(mediaType) && !isSchema1Type(mediaType))) {
    if (Array.isArray(doc.manifests)) mediaType = MediaType.ociIndex;
    else if (Array.isArray(doc.layers)) mediaType = MediaType.ociManifest;
  }
  if (isSchema1Type(mediaType)) return { kind: 'schema1', mediaType: mediaType!, raw: doc };
  if (doc.schemaVersion !== 2) throw fail(`unsupported schemaVersion ${JSON.stringify(doc.schemaVersion)}`, context);
  if (isIndexType(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw fail('index without a manifests array', context);
    doc.manifests.forEach((m, i) => checkDescriptor(m, `manifests[${i}]`, context));
    return { kind: 'index', mediaType: mediaType!, index: doc as unknown as Index };
  }
  if (isManifestType(mediaType)) {
    checkDescriptor(doc.config, 'config', context);
    if (!Array.isArray(doc.layers)) throw fail('manifest without a layers array', context);
    doc.layers.forEach((l, i) => checkDescriptor(l, `layers[${i}]`, context));
    return { kind: 'manifest', mediaType: mediaType!, manifest: doc as unknown as Manifest };
  }
  throw fail(`unknown manifest media type ${JSON.stringify(mediaType)}`, context);
}

/** JSON of a metadata file (oci-layout, a docker save manifest.json): MANIFEST_INVALID naming it when it is not JSON. */
export function parseMetadataJson(bytes: Uint8Array, context: ErrorContext): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw fail(`not valid JSON: ${(err as Error).message}`, context);
  }
}

/** Parses an image config and checks rootfs.diff_ids against the manifest's layer count. */
export function parseConfig(bytes: Uint8Array, layerCount: number, context: ErrorContext): ImageConfig {
  let config: ImageConfig;
  try {
    config = JSON.parse(Buffer.from(bytes).toString('utf8')) as ImageConfig;
  } catch (err) {
    throw new ImgscanError('CONFIG_INVALID', `image config is not valid JSON: ${(err as Error).message}`, context);
  }
  if (!config || typeof config !== 'object') throw new ImgscanError('CONFIG_INVALID', 'image config is not a JSON object', context);
  const diffIds = config.rootfs?.diff_ids;
  if (diffIds !== undefined) {
    if (!Array.isArray(diffIds) || diffIds.some((d) => typeof d !== 'string' || !isDigest(d))) {
      throw new ImgscanError('CONFIG_INVALID', 'image config rootfs.diff_ids is not a list of digests', context);
    }
    if (diffIds.length !== layerCount) {
      throw new ImgscanError('CONFIG_INVALID', `image config lists ${diffIds.length} diff_ids for ${layerCount} layers`, context);
    }
  }
  return config;
}
