import type { BuildStep } from '../../analysis/build-steps.js';
import type { Summary } from '../../analysis/types.js';
import { formatBytesExact } from '../../format/text.js';
import { mdHeading, mdTable } from '../markdown.js';
import { columns } from './columns.js';

/** Section 4's build-step part: the instructions whose layers hold the most bytes, content waste and path waste. */
export function buildSection(s: Summary): string[] {
  const b = s.build;
  const table = (rows: readonly BuildStep[]) =>
    mdTable(
      columns(['instruction', 'images', 'layers', 'compressed_size', 'tar_size', 'content_waste', 'path_waste']),
      rows.map((r) => [r.instruction === '' ? '(no created_by)' : r.instruction, r.images, r.layers, formatBytesExact(r.compressed_size), formatBytesExact(r.tar_size), formatBytesExact(r.content_waste), formatBytesExact(r.path_waste)]),
    );
  if (b.images_with_steps === 0) return [mdHeading(3, 'Build instructions'), 'No image has a history that lines up with its layers: nothing to attribute.\n'];
  return [
    mdHeading(3, 'Build instructions'),
    `The instruction that made each layer (the image config's history, for the ${b.images_with_steps} images whose history lines up with their layers). ` +
      'Bytes over unique layers; content_waste and path_waste over layer refs, in the layer holding the wasted copy (for content waste, the layer ' +
      'where a content repeats one lower in the image; for path waste, the layer whose copy a higher layer overwrites, deletes or hides).',
    '',
    mdHeading(4, 'Most bytes'),
    table(b.by_bytes),
    mdHeading(4, 'Most content waste'),
    table(b.by_content_waste),
    mdHeading(4, 'Most path waste'),
    table(b.by_path_waste),
  ];
}
