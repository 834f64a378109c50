import { mdHeading, mdTable } from '../markdown.js';
import type { Summary } from '../../analysis/types.js';
import { type Chart, chartLink } from './charts.js';
import { formatBytesExact, formatDecimal, formatPercentFine, formatRatio, shortDigest } from '../../format/text.js';
import { columns } from './columns.js';
import { imageSections } from './sections-4-7.js';

/** report.md: the seven sections of the report, with the charts linked beside it. */
export function reportMarkdown(s: Summary, charts: readonly Chart[]): string {
  return [...datasetSection(s), ...layerSection(s, charts), ...fileSection(s, charts), ...imageSections(s, charts)].join('\n');
}

/** The title and section 1: what the dataset holds. */
function datasetSection(s: Summary): string[] {
  const d = s.dataset;
  return [
    mdHeading(1, 'imgscan redundancy report'),
    `Dataset: ${s.data_dirs.map((x) => `\`${x}\``).join(', ')}. Every figure is defined in docs/analyze.md (names as in docs/metrics.md); exact values are in csv/ and summary.json.`,
    '',
    mdHeading(2, '1. Dataset'),
    mdTable(columns(['figure', 'value']), [
      ['images', d.images],
      ['image_refs', d.image_refs],
      ['repositories', d.repositories],
      ['layer_refs', d.layer_refs],
      ['layers_unique', d.layers_unique],
      ['layers_read', d.layers_read],
      ['layers_missing', d.layers_missing],
      ['entries_total', d.entries_total],
      ['files_total', d.files_total],
      ['compressed_size', formatBytesExact(d.compressed_size)],
      ['tar_size', formatBytesExact(d.tar_size)],
      ['files_size', formatBytesExact(d.files_size)],
      ['failures', d.failures],
    ]),
  ];
}

/** Section 2: layer sharing, reference counts, the most shared layers, sizes and compression. */
function layerSection(s: Summary, charts: readonly Chart[]): string[] {
  const l = s.layer;
  return [
    mdHeading(2, '2. Layer level'),
    mdTable(columns(['figure', 'value']), [
      ['layer_refs', l.layer_refs],
      ['layers_unique', l.layers_unique],
      ['layer_refs_compressed_size', formatBytesExact(l.layer_refs_compressed_size)],
      ['layers_unique_compressed_size', formatBytesExact(l.layers_unique_compressed_size)],
      ['layer_dedup_ratio', formatRatio(l.layer_dedup_ratio)],
      ['layer_sharing_savings', formatPercentFine(l.layer_sharing_savings)],
    ]),
    mdHeading(3, 'Layer reference counts'),
    chartLink(charts, 'layer-ref-counts.svg'),
    mdTable(columns(['layer_refs', 'layers', 'compressed_size']), l.layer_ref_counts.map((r) => [r.layer_refs, r.layers, formatBytesExact(r.compressed_size)])),
    mdHeading(3, 'Most shared layers'),
    mdTable(
      columns(['layer_digest', 'layer_refs', 'images', 'compressed_size', 'tar_size', 'file_count', 'compression', 'bytes_saved']),
      l.top_layers.map((t) => [shortDigest(t.layer_digest), t.layer_refs, t.images, formatBytesExact(t.compressed_size), formatBytesExact(t.tar_size), t.file_count, t.compression, formatBytesExact(t.bytes_saved)]),
    ),
    mdHeading(3, 'Layers per image'),
    chartLink(charts, 'layers-per-image.svg'),
    mdTable(columns(['layers', 'images']), l.layers_per_image.map((r) => [r.layers, r.images])),
    mdHeading(3, 'Layer sizes'),
    chartLink(charts, 'layer-sizes.svg'),
    mdTable(columns(['measure', 'layers', 'p10', 'median', 'p90', 'max']), l.sizes.map((q) => [q.measure, q.layers, formatBytesExact(q.p10), formatBytesExact(q.median), formatBytesExact(q.p90), formatBytesExact(q.max)])),
    mdHeading(3, 'compression_ratio by format'),
    'compression_ratio = tar_size / compressed_size of each unique layer; quantiles interpolate linearly.',
    '',
    mdTable(columns(['compression', 'layers', 'p10', 'median', 'p90']), l.compression_ratio.map((c) => [c.compression, c.layers, formatDecimal(c.p10), formatDecimal(c.median), formatDecimal(c.p90)])),
  ];
}

/** Section 3: file redundancy, where duplicates live, sizes, classes and the top duplicated files. */
function fileSection(s: Summary, charts: readonly Chart[]): string[] {
  const f = s.file;
  return [
    mdHeading(2, '3. File level'),
    'Over unique layers (each layer digest once); a file is an entry of type `file`.',
    '',
    mdTable(columns(['figure', 'value']), [
      ['files_total', f.files_total],
      ['files_distinct', f.files_distinct],
      ['distinct_file_fraction', formatPercentFine(f.distinct_file_fraction)],
      ['singleton_file_fraction', formatPercentFine(f.singleton_file_fraction)],
      ['file_bytes_total', formatBytesExact(f.file_bytes_total)],
      ['file_bytes_distinct', formatBytesExact(f.file_bytes_distinct)],
      ['file_dedup_ratio', formatRatio(f.file_dedup_ratio)],
      ['file_dedup_savings', formatPercentFine(f.file_dedup_savings)],
    ]),
    mdHeading(3, 'Where duplicates live'),
    mdTable(columns(['split', 'copies', 'bytes']), [
      ['intra_layer', f.intra_layer, formatBytesExact(f.intra_layer_bytes)],
      ['cross_layer', f.cross_layer, formatBytesExact(f.cross_layer_bytes)],
      ['total', f.intra_layer + f.cross_layer, formatBytesExact(f.file_bytes_total - f.file_bytes_distinct)],
    ]),
    mdHeading(3, 'File sizes'),
    chartLink(charts, 'file-sizes.svg'),
    mdHeading(3, 'By file class'),
    chartLink(charts, 'file-classes.svg'),
    mdTable(
      columns(['file_class', 'files_total', 'files_distinct', 'file_bytes_total', 'file_bytes_distinct', 'bytes_share', 'file_dedup_ratio', 'file_dedup_savings']),
      f.by_class.map((c) => [c.file_class, c.files_total, c.files_distinct, formatBytesExact(c.file_bytes_total), formatBytesExact(c.file_bytes_distinct), formatPercentFine(c.bytes_share), formatRatio(c.file_dedup_ratio), formatPercentFine(c.file_dedup_savings)]),
    ),
    mdHeading(3, 'Top duplicated files by bytes saved'),
    'bytes_saved = (copies - 1) * size; paths lists up to three of the paths the content is found at.',
    '',
    mdTable(
      columns(['digest', 'size', 'file_class', 'copies', 'layers', 'bytes_saved', 'paths']),
      f.top_duplicates.map((t) => [shortDigest(t.digest), formatBytesExact(t.size), t.file_class, t.copies, t.layers, formatBytesExact(t.bytes_saved), t.paths.join(', ') + (t.paths_distinct > t.paths.length ? ` (+${t.paths_distinct - t.paths.length})` : '')]),
    ),
  ];
}
