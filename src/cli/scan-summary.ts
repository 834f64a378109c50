import type { ScanSummary } from '../pipeline/scan.js';

/** The lines scan and crawl print when done (without --json). */
export function formatScanSummary(s: ScanSummary & { repositories?: number }, dir: string): string {
  const repositories = s.repositories !== undefined ? `repositories: ${s.repositories}; ` : '';
  return [
    `${repositories}images: ${s.images} (${s.images_stored} stored, ${s.images_already_stored} already in the dataset)`,
    `layers: ${s.layers_read} read, ${s.layers_skipped} already in the dataset${s.layers_foreign ? `, ${s.layers_foreign} foreign (not in the registry, not read)` : ''}`,
    `files: ${s.files}; bytes: ${s.compressed_bytes} compressed, ${s.tar_bytes} uncompressed`,
    s.failures ? `failures: ${s.failures} (see the failures table)` : '',
    `dataset: ${dir}`,
  ]
    .filter(Boolean)
    .join('\n');
}
