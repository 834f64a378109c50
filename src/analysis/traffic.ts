import type { AnalysisDb } from './db.js';
import { ensureImageWaste } from './image-waste.js';

/** Pull and update traffic of one design (docs/metrics.md, "Pull and update traffic"), over the dataset. */
export interface TrafficRow {
  design: 'layer_dedup' | 'file_dedup' | 'chunk_dedup';
  /** The chunker, for chunk_dedup. */
  chunker: string | null;
  /**
   * True when the bytes are compressed: layer blobs as the registry serves them, or for file and chunk dedup
   * the content bytes times the design's compression ratio estimated from the compression sample (gzip -6).
   */
  compressed: boolean;
  /** True for the figures estimated from the compression sample. */
  estimated: boolean;
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
export async function trafficFigures(a: AnalysisDb, ratios: CompressedShare[] = []): Promise<TrafficFigures> {
  await ensureImageWaste(a);
  if (!(await a.has('a_updates'))) await updateTraffic(a);
  await a.run('traffic');
  const measured = (await a.query<Omit<TrafficRow, 'compressed' | 'estimated'>>('traffic_figures')).map((d) => ({ ...d, compressed: d.design === 'layer_dedup', estimated: false }));
  const restore = await a.query<RestoreRow>('traffic_restore');
  const designs = measured.flatMap((d) => {
    const share = d.compressed ? undefined : ratios.find((r) => r.design === d.design && r.chunker === d.chunker);
    return share === undefined ? [d] : [d, compressedRow(d, share.share)];
  });
  return { designs, restore };
}

/**
 * What each update moves under each design (a_updates) and the layers restored for it (a_restores): the update
 * pairs, a walk for file dedup (walks.ts) and SQL for the rest. It needs no image waste, so analyze.ts runs it
 * beside image_waste.sql.
 */
export async function updateTraffic(a: AnalysisDb): Promise<void> {
  await a.run('update_blobs');
  await a.timed('update_files', () => a.walks.writeUpdateFiles(a.db));
  await a.run('traffic_updates');
}

/** The compressed share of a design's content bytes (estimated compressed bytes over bytes), from the sample. */
export interface CompressedShare {
  design: TrafficRow['design'];
  chunker: string | null;
  share: number;
}

function compressedRow(d: TrafficRow, share: number): TrafficRow {
  const scale = (v: number | null) => (v === null ? null : Math.round(v * share));
  return {
    ...d,
    compressed: true,
    estimated: true,
    pull_bytes_median: scale(d.pull_bytes_median),
    pull_bytes_p90: scale(d.pull_bytes_p90),
    pull_bytes_total: Math.round(d.pull_bytes_total * share),
    update_bytes_median: scale(d.update_bytes_median),
    update_bytes_p90: scale(d.update_bytes_p90),
    update_bytes_total: Math.round(d.update_bytes_total * share),
  };
}
