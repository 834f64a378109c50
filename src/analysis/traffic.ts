import type { AnalysisDb } from './db.js';
import { ensureImageWaste } from './image-waste.js';

/** Pull and update traffic of one design (docs/metrics.md, "Pull and update traffic"), over the dataset. */
export interface TrafficRow {
  design: 'layer_dedup' | 'file_dedup' | 'chunk_dedup';
  /** The chunker, for chunk_dedup. */
  chunker: string | null;
  /** True when the bytes are compressed layer blobs as the registry serves them; false for content bytes. */
  compressed: boolean;
  /** Images pulled from nothing, and their pull_bytes. */
  pulls: number;
  pull_bytes_median: number | null;
  pull_bytes_p90: number | null;
  pull_bytes_total: number;
  /** Update pairs (a repository's version and the one before it), and their update_bytes. */
  updates: number;
  update_bytes_median: number | null;
  update_bytes_p90: number | null;
  update_bytes_total: number;
}

/** DupHunter's restore work for pulls or updates: layers rebuilt from their files, their tar bytes and files. */
export interface RestoreRow {
  kind: 'pull' | 'update';
  count: number;
  layers_total: number;
  tar_bytes_median: number | null;
  tar_bytes_p90: number | null;
  tar_bytes_total: number;
  files_total: number;
}

export interface TrafficFigures {
  designs: TrafficRow[];
  restore: RestoreRow[];
}

/**
 * What clients move on pulls and on updates between consecutive versions, under each design. Builds on the
 * per-image waste tables (image_waste.sql), made here when not made yet.
 */
export async function trafficFigures(a: AnalysisDb): Promise<TrafficFigures> {
  await ensureImageWaste(a);
  await a.run('traffic');
  const designs = await a.query<Omit<TrafficRow, 'compressed'>>('traffic_figures');
  const restore = await a.query<RestoreRow>('traffic_restore');
  return { designs: designs.map((d) => ({ ...d, compressed: d.design === 'layer_dedup' })), restore };
}
