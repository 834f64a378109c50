const textColumns = new Set(['instruction', 'kind', 'figure', 'value', 'measure', 'compression', 'file_class', 'split', 'layer_digest', 'digest', 'paths', 'image', 'manifest_digest', 'design', 'chunker', 'source', 'compressed_how', 'pooled']);

/** Table columns of report.md: numbers (shown with units) right-aligned, names and text left-aligned. */
export function columns(headers: readonly string[]): { header: string; align: 'left' | 'right' }[] {
  return headers.map((header) => ({ header, align: textColumns.has(header) ? 'left' : 'right' }));
}
