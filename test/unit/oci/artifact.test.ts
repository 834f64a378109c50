import { describe, expect, it } from 'vitest';
import { isAttestation, isLayerMediaType, notAnImage } from '../../../src/oci/artifact.js';
import { MediaType } from '../../../src/oci/media-types.js';
import type { Manifest } from '../../../src/oci/types.js';

const d = (mediaType: string) => ({ mediaType, digest: `sha256:${'0'.repeat(64)}`, size: 1 });
const manifest = (config: string, layers: string[]): Manifest => ({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: d(config), layers: layers.map(d) }) as Manifest;

describe('images and artifacts', () => {
  it('takes OCI and Docker layer types, anything naming a tar, octet streams and no type as layers', () => {
    for (const t of [MediaType.ociLayer, MediaType.ociLayerGzip, MediaType.ociLayerZstd, MediaType.ociLayerNondistGzip, MediaType.dockerLayer, MediaType.dockerForeignLayer,
      'application/vnd.docker.image.rootfs.diff.tar', 'application/x-tar', 'application/octet-stream', undefined]) {
      expect(isLayerMediaType(t), String(t)).toBe(true);
    }
    for (const t of ['application/vnd.dev.cosign.simplesigning.v1+json', 'application/vnd.dsse.envelope.v1+json', 'application/vnd.in-toto+json', 'application/spdx+json']) {
      expect(isLayerMediaType(t), t).toBe(false);
    }
  });

  it('names why a manifest is not an image: another config type, or a layer that is not a tar', () => {
    expect(notAnImage(manifest(MediaType.ociConfig, [MediaType.ociLayerGzip]))).toBeNull();
    expect(notAnImage(manifest(MediaType.dockerConfig, [MediaType.dockerLayer, MediaType.dockerForeignLayer]))).toBeNull();
    expect(notAnImage(manifest('application/vnd.cncf.helm.config.v1+json', ['application/vnd.cncf.helm.chart.content.v1.tar+gzip']))).toBe('config application/vnd.cncf.helm.config.v1+json');
    expect(notAnImage(manifest(MediaType.ociConfig, ['application/vnd.dev.cosign.simplesigning.v1+json']))).toBe('layer application/vnd.dev.cosign.simplesigning.v1+json');
  });

  it('knows attestation entries of an index', () => {
    expect(isAttestation({ ...d(MediaType.ociManifest), platform: { os: 'unknown', architecture: 'unknown' } })).toBe(true);
    expect(isAttestation({ ...d(MediaType.ociManifest), annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } })).toBe(true);
    expect(isAttestation({ ...d(MediaType.ociManifest), platform: { os: 'linux', architecture: 'arm64' } })).toBe(false);
  });
});
