import type { AnalysisDb } from './db.js';

/**
 * Makes the per-image waste tables (the walks of src/analysis/walks.ts, image_dirs.sql, then image_waste.sql),
 * unless this session has them already.
 */
export async function ensureImageWaste(a: AnalysisDb): Promise<void> {
  if (await a.has('a_image_waste')) return;
  // The directories beside the two walks (started when the dataset opened, where it can be; `close` waits for it).
  const dirs = a.directories();
  await a.timed('content_waste', () => a.walks.writeContentWaste(a.db));
  await a.timed('path_candidates', () => a.walks.writePathCandidates(a.db));
  await dirs;
  await a.timed('hiding', () => a.walks.writeHiding(a.db));
  await a.run('image_waste');
}
