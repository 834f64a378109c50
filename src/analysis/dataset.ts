import type { AnalysisDb } from './db.js';
import { dedupRatio, savings } from './figures.js';
import type {
  CompressionRatio,
  DatasetFigures,
  LayerFigures,
  LayerRefCount,
  LayersPerImage,
  SizeBucket,
  SizeQuantiles,
  TopLayer,
} from './types.js';

/** Section 1: what the dataset holds. */
export async function datasetFigures(a: AnalysisDb): Promise<DatasetFigures> {
  const [row] = await a.query<DatasetFigures>('dataset');
  return row;
}

/** Section 2: layer sharing, reference counts, the most shared layers, layers per image, sizes, compression. */
export async function layerFigures(a: AnalysisDb, top: number): Promise<LayerFigures> {
  const [s] = await a.query<{ layer_refs: number; layers_unique: number; layer_refs_compressed_size: number; layers_unique_compressed_size: number }>('layer_sharing');
  const ratio = dedupRatio(s.layer_refs_compressed_size, s.layers_unique_compressed_size);
  const compression = await a.query<Omit<CompressionRatio, 'compression'> & { compression: string | null; is_total: boolean }>('compression_ratio');
  return {
    ...s,
    layer_dedup_ratio: ratio,
    layer_sharing_savings: savings(ratio),
    layer_ref_counts: await a.query<LayerRefCount>('layer_ref_counts'),
    top_layers: await a.query<TopLayer>('top_layers', { top }),
    layers_per_image: await a.query<LayersPerImage>('layers_per_image'),
    sizes: await a.query<SizeQuantiles>('layer_size_quantiles'),
    size_buckets: await a.query<SizeBucket>('layer_sizes'),
    compression_ratio: compression.map(({ is_total, ...c }) => ({ ...c, compression: is_total ? 'all' : (c.compression ?? 'unknown') })),
  };
}
