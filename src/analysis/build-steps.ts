import type { AnalysisDb } from './db.js';
import { ensureImageWaste } from './image-waste.js';

/** One build instruction (image_history.created_by) and what the layers it made hold. */
export interface BuildStep {
  instruction: string;
  /** Images with a layer made by it. */
  images: number;
  /** Unique layers made by it, their compressed and tar bytes. */
  layers: number;
  compressed_size: number;
  tar_size: number;
  /** Content waste in those layers, over layer refs. */
  content_waste: number;
  /** Path waste of the copies in those layers, over layer refs. */
  path_waste: number;
}

export interface BuildStepFigures {
  /** Images whose history lines up with their layers (the others are not attributed). */
  images_with_steps: number;
  by_bytes: BuildStep[];
  by_content_waste: BuildStep[];
  by_path_waste: BuildStep[];
}

/** Layer bytes, content waste and path waste attributed to the build instructions that made the layers (after image waste). */
export async function buildStepFigures(a: AnalysisDb, top: number): Promise<BuildStepFigures> {
  await ensureImageWaste(a);
  await a.run('build_steps');
  const [n] = await a.rows<{ n: number }>('SELECT count(DISTINCT image_id) AS n FROM a_steps');
  return {
    images_with_steps: n.n,
    by_bytes: await a.query<BuildStep>('build_steps_top', { top, order: 'b.tar_size' }),
    by_content_waste: await a.query<BuildStep>('build_steps_top', { top, order: 'r.content_waste' }),
    by_path_waste: await a.query<BuildStep>('build_steps_top', { top, order: 'r.path_waste' }),
  };
}
