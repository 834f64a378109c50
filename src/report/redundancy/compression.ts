import { mdHeading, mdTable } from '../markdown.js';
import type { Estimate, StorageRow, Summary } from '../../analysis/types.js';
import { formatBytesExact, formatDecimal, formatPercentFine, formatRatio } from '../../format/text.js';
import { columns } from './columns.js';

/** A compressed figure as the storage table shows it: measured, exact, or an estimate with its 95% interval. */
export function compressedCell(bytes: number | null, how: StorageRow['compressed_how'], low: number | null, high: number | null): string {
  if (bytes === null) return how === null ? 'no sample' : 'not measured';
  if (how !== 'estimated' || low === null || high === null) return formatBytesExact(bytes);
  return `${formatBytesExact(bytes)} (95%: ${formatBytesExact(low)} to ${formatBytesExact(high)})`;
}

function estimateCell(e: Estimate | null): string {
  if (e === null) return 'too few in the sample';
  return e.se === 0 ? formatBytesExact(e.value) : `${formatBytesExact(e.value)} (95%: ${formatBytesExact(e.low)} to ${formatBytesExact(e.high)})`;
}

/** The storage designs table of section 5: uncompressed and compressed bytes side by side. */
export function storageTable(s: Summary): string {
  return mdTable(
    columns(['design', 'chunker', 'content_bytes', 'metadata_bytes', 'chunk_refs', 'chunks_distinct', 'chunk_ref_bytes', 'uncompressed_bytes', 'ratio_to_layer_dedup', 'compressed_bytes', 'compressed_how', 'compressed_ratio_to_layer_dedup', 'zstd_bytes']),
    s.storage.designs.map((d) => [
      d.design, d.chunker ?? '', formatBytesExact(d.content_bytes), formatBytesExact(d.metadata_bytes), d.chunk_refs ?? '', d.chunks_distinct ?? '', d.chunk_ref_bytes ?? '',
      formatBytesExact(d.uncompressed_bytes), formatRatio(d.ratio_to_layer_dedup),
      compressedCell(d.compressed_bytes, d.compressed_how, d.compressed_low, d.compressed_high), d.compressed_how ?? '',
      formatRatio(d.compressed_ratio_to_layer_dedup), d.compressed_how === 'measured' ? 'not measured' : compressedCell(d.zstd_bytes, d.compressed_how, d.zstd_low, d.zstd_high),
    ]),
  );
}

/** The compression sample behind the estimates: per file class, and the totals it estimates. */
export function compressionSection(s: Summary): string[] {
  const c = s.compression;
  if (!c.available) {
    return [mdHeading(3, 'Compression sample'), 'No compression sample: scan with `--sample-rate` above 0 (the default is 0.01) to estimate what file and chunk dedup store compressed.\n'];
  }
  const rates = c.sample_rates.map((r) => formatDecimal(r)).join(', ');
  return [
    mdHeading(3, 'Compression sample'),
    `${c.contents_sampled} of ${c.contents} distinct file contents (rate ${rates}), chosen by their bytes alone, were compressed with gzip -6 and zstd -3; ` +
      'each file class is estimated from its own sample (classes with fewer than 2 sampled contents are pooled) and the interval is 95%. ' +
      `Layer metadata: ${c.metadata.layers_sampled} of ${c.metadata.layers} layers in the sample.`,
    '',
    mdTable(
      columns(['file_class', 'contents', 'bytes', 'sampled', 'sampled_share', 'gzip_ratio', 'zstd_ratio', 'pooled']),
      c.classes.map((k) => [k.file_class, k.contents, formatBytesExact(k.bytes), k.sampled, formatPercentFine(k.bytes > 0 ? k.sampled_bytes / k.bytes : null), formatRatio(k.gzip_ratio), formatRatio(k.zstd_ratio), k.pooled ? 'yes' : '']),
    ),
    mdTable(columns(['measure', 'sampled', 'gzip', 'zstd']), [
      ['distinct file contents, compressed one by one', `${c.contents_sampled} of ${c.contents}`, estimateCell(c.file_contents.gzip), estimateCell(c.file_contents.zstd)],
      ['layer metadata, compressed layer by layer', `${c.metadata.layers_sampled} of ${c.metadata.layers}`, estimateCell(c.metadata.gzip), estimateCell(c.metadata.zstd)],
      ...c.chunkers.map((k) => [`distinct chunks of ${k.chunker}, compressed one by one`, `${k.chunks_sampled} of ${k.chunks}`, estimateCell(k.gzip), estimateCell(k.zstd)]),
    ]),
  ];
}
