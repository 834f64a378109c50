import type { Image } from '../sources/types.js';
import type { ImageHistoryRow, ImageLayerRow, ImageRefRow, ImageRow } from '../model/rows.js';

/** The images, image_layers, image_history and image_refs rows of one image. */
export function imageRows(image: Image): { images: ImageRow; image_layers: ImageLayerRow[]; image_history: ImageHistoryRow[]; image_refs: ImageRefRow[] } {
  const created = timestamp(image.config.created);
  return {
    images: {
      manifest_digest: image.digest,
      media_type: image.mediaType,
      config_digest: image.manifest.config.digest,
      os: image.platform.os || null,
      architecture: image.platform.architecture || null,
      variant: image.platform.variant ?? null,
      created,
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
    image_history: historyRows(image),
    image_refs: image.refs.map((r) => ({ registry: r.registry, repository: r.repository, tag: r.tag, manifest_digest: image.digest, index_digest: image.indexDigest ?? null })),
  };
}

/** A config timestamp as a Date; null when absent or not a time. */
function timestamp(text: string | undefined): Date | null {
  const t = text ? new Date(text) : null;
  return t && !Number.isNaN(t.getTime()) ? t : null;
}

/**
 * The config's history, each step with the layer it made: the n-th step without empty_layer made layer n, when
 * there are as many such steps as layers (else no step is given a layer: the history does not line up).
 */
function historyRows(image: Image): ImageHistoryRow[] {
  const history = Array.isArray(image.config.history) ? image.config.history : [];
  const lined = history.filter((h) => !h?.empty_layer).length === image.manifest.layers.length;
  let layer = 0;
  return history.map((h, step) => {
    const empty = Boolean(h?.empty_layer);
    const position = empty || !lined ? null : layer++;
    return {
      manifest_digest: image.digest,
      step,
      created: timestamp(h?.created),
      created_by: typeof h?.created_by === 'string' ? h.created_by : null,
      comment: typeof h?.comment === 'string' ? h.comment : null,
      empty_layer: empty,
      position,
    };
  });
}
