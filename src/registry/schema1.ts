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
  let doc: { signatures?: { protected?: string }[] };
  try {
    doc = JSON.parse(buf.toString('utf8')) as typeof doc;
  } catch (err) {
    throw new ImgscanError('MANIFEST_INVALID', `schema 1 manifest is not JSON: ${(err as Error).message}`, context);
  }
  const sig = doc.signatures?.[0];
  if (!sig) return { payload: buf, signed: false };
  let header: { formatLength?: number; formatTail?: string };
  try {
    header = JSON.parse(b64url(sig.protected ?? '').toString('utf8')) as typeof header;
  } catch {
    throw new ImgscanError('MANIFEST_INVALID', 'schema 1 signature has an unreadable protected header', context);
  }
  const { formatLength, formatTail } = header;
  if (typeof formatLength !== 'number' || formatLength < 0 || formatLength > buf.length || typeof formatTail !== 'string') {
    throw new ImgscanError('MANIFEST_INVALID', 'schema 1 signature lacks formatLength/formatTail', context);
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
  const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
    schemaVersion?: number;
    architecture?: string;
    fsLayers?: { blobSum?: string }[];
    history?: { v1Compatibility?: string }[];
  };
  if (doc.schemaVersion !== 1) throw new ImgscanError('MANIFEST_INVALID', `not a schema 1 manifest (schemaVersion ${JSON.stringify(doc.schemaVersion)})`, context);
  const fsLayers = doc.fsLayers ?? [];
  const history = doc.history ?? [];
  if (!Array.isArray(fsLayers) || !Array.isArray(history) || fsLayers.length === 0 || fsLayers.length !== history.length) {
    throw new ImgscanError('MANIFEST_INVALID', `schema 1 manifest has ${fsLayers.length} fsLayers and ${history.length} history entries`, context);
  }
  const entries = fsLayers.map((layer, i) => {
    const digest = layer?.blobSum;
    if (typeof digest !== 'string' || !isDigest(digest)) throw new ImgscanError('MANIFEST_INVALID', `schema 1 fsLayers[${i}] has a bad blobSum`, context);
    let v1: V1Compatibility;
    try {
      v1 = JSON.parse(history[i]?.v1Compatibility ?? '') as V1Compatibility;
    } catch {
      throw new ImgscanError('MANIFEST_INVALID', `schema 1 history[${i}] has unreadable v1Compatibility`, context);
    }
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
      ...(e.v1.container_config?.Cmd ? { created_by: e.v1.container_config.Cmd.join(' ') } : {}),
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
