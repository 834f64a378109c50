import { MediaType } from './media-types.js';
import type { Descriptor, Manifest } from './types.js';

const imageConfigTypes = new Set<string>([MediaType.ociConfig, MediaType.dockerConfig]);

/**
 * A layer media type a container image may have: OCI and Docker layer types, anything naming a tar, an octet
 * stream (old tools), or none. The content decides the compression; this only tells images from artifacts.
 */
export function isLayerMediaType(mediaType: string | undefined): boolean {
  if (!mediaType || mediaType === 'application/octet-stream') return true;
  return /^application\/vnd\.(?:oci\.image\.layer|docker\.image\.rootfs)\./.test(mediaType) || mediaType.includes('tar');
}

/**
 * Why a manifest is not a container image, or null when it is one. Artifacts use the image manifest format
 * too: a config of another type (Helm charts, WASM), or an image config with layers that are not tars (cosign
 * signatures and attestations: JSON payloads, DSSE envelopes).
 */
export function notAnImage(manifest: Manifest): string | null {
  if (!imageConfigTypes.has(manifest.config.mediaType)) return `config ${manifest.config.mediaType}`;
  const odd = manifest.layers.find((l) => !isLayerMediaType(l.mediaType));
  return odd ? `layer ${odd.mediaType}` : null;
}

/** A foreign (non-distributable) layer: its blob lives outside the registry (the descriptor's `urls`). */
export function isForeignLayer(mediaType: string | undefined): boolean {
  return mediaType === MediaType.dockerForeignLayer || (mediaType?.startsWith('application/vnd.oci.image.layer.nondistributable.') ?? false);
}

/** True when an index entry is an attestation or otherwise not a runnable image (BuildKit's unknown/unknown). */
export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || d.platform?.os === 'unknown' || d.platform?.architecture === 'unknown';
}
