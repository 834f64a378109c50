import { ImgscanError, type ErrorContext } from '../errors.js';
import { isDigest, sha256Digest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor, ImageConfig, Manifest } from '../oci/types.js';

/** A Docker schema 1 manifest in the schema 2 shape, with a synthesized config. */
export interface ConvertedSchema1 {
  manifest: Manifest;
  config: ImageConfig;
  /** The synthesized config as bytes; `manifest.config` describes them. */
  configBytes: Buffer;
  /** True when the document carried JWS signatures. */
  signed: boolean;
  /** The bytes the manifest digest is computed over: the document without its signatures. */
  payload: Buffer;
}

interface V1Compatibility {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  comment?: string;
  throwaway?: boolean;
  config?: Record<string, unknown>;
  container_config?: { Cmd?: string[] };
}

/** The document as a JSON object; MANIFEST_INVALID for anything else. */
function parseObject<T>(buf: Buffer, context: ErrorContext): T {
  let doc: unknown;
  try {
    doc = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new ImgscanError('MANIFEST_INVALID', `schema 1 manifest is not JSON: ${(err as Error).message}`, context);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ImgscanError('MANIFEST_INVALID', 'schema 1 manifest is not a JSON object', context);
  return doc as T;
}

function listField<T>(value: unknown, name: string, context: ErrorContext): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ImgscanError('MANIFEST_INVALID', `schema 1 manifest: ${name} is not a list`, context);
  return value as T[];
}

function b64url(s: string): Buffer {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/**
 * The payload a signed schema 1 manifest was signed over, which is also what its digest covers: the first
 * `formatLength` bytes followed by `formatTail` (both from the protected header of a signature). Unsigned
 * documents are their own payload.
 */
export function schema1Payload(bytes: Uint8Array, context: ErrorContext = {}): { payload: Buffer; signed: boolean } {
  const buf = Buffer.from(bytes);
  const doc = parseObject<{ signatures?: { protected?: unknown }[] }>(buf, context);
  const sig = Array.isArray(doc.signatures) ? doc.signatures[0] : undefined;
  if (!sig) return { payload: buf, signed: false };
  let header: { formatLength?: unknown; formatTail?: unknown } | null;
  const unreadable = () => new ImgscanError('MANIFEST_INVALID', 'schema 1 signature has an unreadable protected header', context);
  if (typeof sig.protected !== 'string') throw unreadable();
  try {
    header = JSON.parse(b64url(sig.protected).toString('utf8')) as typeof header;
  } catch {
    throw unreadable();
  }
  const { formatLength, formatTail } = header ?? {};
  if (typeof formatLength !== 'number' || !Number.isInteger(formatLength) || formatLength < 0 || formatLength > buf.length || typeof formatTail !== 'string') {
    throw new ImgscanError('MANIFEST_INVALID', `schema 1 signature lacks a usable formatLength/formatTail (formatLength ${JSON.stringify(formatLength)} of ${buf.length} bytes)`, context);
  }
  return { payload: Buffer.concat([buf.subarray(0, formatLength), b64url(formatTail)]), signed: true };
}

/**
 * Converts Docker schema 1 (signed or not) to the schema 2 shape. Layers are fsLayers reversed (oldest first),
 * without the entries whose v1Compatibility says `throwaway`. The config comes from the newest v1Compatibility
 * (architecture, os, created, config) plus a history; it has no rootfs because schema 1 does not record diff_ids.
 * `sizeOf` gives each layer's size (schema 1 does not record sizes; the client asks the registry).
 */
export function convertSchema1(bytes: Uint8Array, sizeOf: (digest: string) => number, context: ErrorContext = {}): ConvertedSchema1 {
  const { payload, signed } = schema1Payload(bytes, context);
  const doc = parseObject<{
    schemaVersion?: unknown;
    architecture?: string;
    fsLayers?: unknown;
    history?: unknown;
  }>(Buffer.from(bytes), context);
  if (doc.schemaVersion !== 1) throw new ImgscanError('MANIFEST_INVALID', `not a schema 1 manifest (schemaVersion ${JSON.stringify(doc.schemaVersion)})`, context);
  const fsLayers = listField<{ blobSum?: unknown } | null>(doc.fsLayers, 'fsLayers', context);
  const history = listField<{ v1Compatibility?: unknown } | null>(doc.history, 'history', context);
  if (fsLayers.length === 0) throw new ImgscanError('MANIFEST_INVALID', 'schema 1 manifest has no fsLayers', context);
  if (fsLayers.length !== history.length) {
    throw new ImgscanError('MANIFEST_INVALID', `schema 1 manifest has ${fsLayers.length} fsLayers but ${history.length} history entries`, context);
  }
  const entries = fsLayers.map((layer, i) => {
    const digest = layer?.blobSum;
    if (typeof digest !== 'string' || !isDigest(digest)) {
      throw new ImgscanError('MANIFEST_INVALID', `schema 1 fsLayers[${i}] has a bad blobSum ${JSON.stringify(digest)}`, context);
    }
    let v1: V1Compatibility | null;
    const unreadable = () => new ImgscanError('MANIFEST_INVALID', `schema 1 history[${i}] has unreadable v1Compatibility`, context);
    const text = history[i]?.v1Compatibility;
    if (typeof text !== 'string') throw unreadable();
    try {
      v1 = JSON.parse(text) as V1Compatibility | null;
    } catch {
      throw unreadable();
    }
    if (!v1 || typeof v1 !== 'object' || Array.isArray(v1)) throw new ImgscanError('MANIFEST_INVALID', `schema 1 history[${i}] v1Compatibility is not a JSON object`, context);
    return { digest, v1 };
  });
  const top = entries[0].v1;
  const oldestFirst = entries.slice().reverse();
  const layers: Descriptor[] = oldestFirst
    .filter((e) => !e.v1.throwaway)
    .map((e) => ({ mediaType: MediaType.dockerLayer, digest: e.digest, size: sizeOf(e.digest) }));
  const config: ImageConfig = {
    architecture: top.architecture ?? doc.architecture,
    os: top.os ?? 'linux',
    ...(top.variant ? { variant: top.variant } : {}),
    ...(top.created ? { created: top.created } : {}),
    ...(top.config ? { config: top.config } : {}),
    history: oldestFirst.map((e) => ({
      ...(e.v1.created ? { created: e.v1.created } : {}),
      ...(Array.isArray(e.v1.container_config?.Cmd) ? { created_by: e.v1.container_config.Cmd.join(' ') } : {}),
      ...(e.v1.comment ? { comment: e.v1.comment } : {}),
      ...(e.v1.throwaway ? { empty_layer: true } : {}),
    })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.dockerManifest,
    config: { mediaType: MediaType.dockerConfig, digest: sha256Digest(configBytes), size: configBytes.length },
    layers,
  };
  return { manifest, config, configBytes, signed, payload };
}
