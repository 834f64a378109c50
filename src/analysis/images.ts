import type { AnalysisDb } from './db.js';
import { ensureImageWaste } from './image-waste.js';
import { fraction, quantile } from './figures.js';
import type { ImageFigures, ImageWaste } from './types.js';

/** Section 4: computes a_image_waste (src/analysis/image-waste.ts) and returns every image, least efficient first. */
export async function imageWaste(a: AnalysisDb): Promise<ImageWaste[]> {
  await ensureImageWaste(a);
  return a.query<ImageWaste>('images');
}

/** Section 4 figures from the per-image rows: totals, image_efficiency quantiles and the least efficient. */
export function imageFigures(images: readonly ImageWaste[], top: number): ImageFigures {
  let filesSize = 0;
  let content = 0;
  let path = 0;
  for (const i of images) {
    filesSize += i.files_size;
    content += i.content_waste;
    path += i.path_waste;
  }
  const efficiency = images.map((i) => i.image_efficiency).sort((x, y) => x - y);
  return {
    images: images.length,
    files_size: filesSize,
    content_waste: content,
    path_waste: path,
    content_waste_fraction: fraction(content, filesSize),
    path_waste_fraction: fraction(path, filesSize),
    image_efficiency_median: quantile(efficiency, 0.5),
    image_efficiency_p10: quantile(efficiency, 0.1),
    least_efficient: images.slice(0, top),
  };
}
