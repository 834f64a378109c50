import type { Image } from '../sources/types.js';
import type { ImageLayerRow, ImageRefRow, ImageRow } from '../model/rows.js';

/** The images, image_layers and image_refs rows of one image. */
export function imageRows(image: Image): { images: ImageRow; image_layers: ImageLayerRow[]; image_refs: ImageRefRow[] } {
  const created = image.config.created ? new Date(image.config.created) : null;
  return {
    images: {
      manifest_digest: image.digest,
      media_type: image.mediaType,
      config_digest: image.manifest.config.digest,
      os: image.platform.os || null,
      architecture: image.platform.architecture || null,
      variant: image.platform.variant ?? null,
      created: created && !Number.isNaN(created.getTime()) ? created : null,
      layer_count: image.manifest.layers.length,
      schema1_converted: image.convertedFromSchema1,
    },
    image_layers: image.layers().map((l, position) => ({
      manifest_digest: image.digest,
      position,
      layer_digest: l.descriptor.digest,
      diff_id: l.diffId ?? null,
      media_type: l.descriptor.mediaType,
      compressed_size: l.descriptor.size,
    })),
    image_refs: image.refs.map((r) => ({ registry: r.registry, repository: r.repository, tag: r.tag, manifest_digest: image.digest, index_digest: image.indexDigest ?? null })),
  };
}
