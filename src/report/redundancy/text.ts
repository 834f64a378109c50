import type { ImageCheck } from '../../analysis/image-check.js';
import type { Summary } from '../../analysis/types.js';
import { formatBytesExact, formatPercentFine, formatRatio, shortDigest } from '../../format/text.js';

/** The few lines `imgscan analyze` prints: the headline figures and where the report went. */
export function formatAnalysis(s: Summary, files: readonly string[], outDir: string): string {
  const d = s.dataset;
  const f = s.file;
  const designs = s.storage.designs.map((x) => `${x.design}${x.chunker ? ` (${x.chunker})` : ''} ${formatBytesExact(x.uncompressed_bytes)} (${formatRatio(x.ratio_to_layer_dedup)})`).join(', ');
  return [
    `dataset: ${d.images} images, ${d.layers_unique} unique layers (${d.layer_refs} refs), ${d.files_total} files`,
    `layer_dedup_ratio ${formatRatio(s.layer.layer_dedup_ratio)}; file_dedup_ratio ${formatRatio(f.file_dedup_ratio)}, distinct_file_fraction ${formatPercentFine(f.distinct_file_fraction)}`,
    s.chunk.available ? `chunk_dedup_ratio ${s.chunk.chunkers.map((c) => `${formatRatio(c.chunk_dedup_ratio)} (${c.chunker})`).join(', ')}` : 'no chunk data',
    `content_waste ${formatPercentFine(s.image.content_waste_fraction)}, path_waste ${formatPercentFine(s.image.path_waste_fraction)} of image files_size`,
    `storage: ${designs}`,
    files.length ? `report: ${outDir} (${files.length} files)` : '',
  ].filter(Boolean).join('\n');
}

/** `analyze --image`: each image's efficiency, wastes, the paths behind path_waste and the threshold checks. */
export function formatImageCheck(c: ImageCheck): string {
  const out: string[] = [];
  for (const i of c.images) {
    const platform = [i.os, i.architecture].filter(Boolean).join('/');
    out.push(
      `${i.ref ?? c.ref}  ${shortDigest(i.manifest_digest)}${platform ? `  ${platform}` : ''}`,
      `  layers ${i.layer_refs}, files ${i.file_count}, files_size ${formatBytesExact(i.files_size)}`,
      `  image_efficiency ${formatPercentFine(i.image_efficiency)}  (path-based, as dive)`,
      `  path_waste       ${formatBytesExact(i.path_waste)}, ${formatPercentFine(i.path_waste_fraction)}`,
      `  content_waste    ${formatBytesExact(i.content_waste)}, ${formatPercentFine(i.content_waste_fraction)}  (content-based)`,
    );
    if (i.wasted_paths.length) {
      out.push('  wasted paths:');
      for (const p of i.wasted_paths) out.push(`    ${formatBytesExact(p.wasted).padEnd(24)} ${p.path}  (${p.reason})`);
    }
    for (const k of i.checks) out.push(`  ${k.passed ? 'PASS' : 'FAIL'} ${k.rule}: ${k.value} (limit ${k.limit})`);
  }
  if (c.images.some((i) => i.checks.length)) out.push(c.passed ? 'result: PASS' : 'result: FAIL');
  return out.join('\n');
}
