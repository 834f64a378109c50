import { barChart, type Chart, stepCdf } from '../chart.js';
import { cdfOfValues, cdfOfWeights } from '../../analysis/cdf.js';
import type { ImageWaste, Summary } from '../../analysis/types.js';

export { type Chart, chartLink } from '../chart.js';

const cumulative = 'Cumulative fraction';

export function layerRefCountsChart(s: Summary): Chart | null {
  const l = s.layer;
  return stepCdf({
    file: 'layer-ref-counts.svg',
    title: 'Layer reference counts (CDF over unique layers)',
    x: { title: 'References to the layer (layer_refs, log scale)', kind: 'count-log' },
    yTitle: cumulative,
    series: [
      { name: 'layers', points: cdfOfWeights(l.layer_ref_counts.map((r) => ({ x: r.layer_refs, weight: r.layers }))) },
      { name: 'compressed bytes', points: cdfOfWeights(l.layer_ref_counts.map((r) => ({ x: r.layer_refs, weight: r.compressed_size }))) },
    ],
  });
}

export function layersPerImageChart(s: Summary): Chart | null {
  return stepCdf({
    file: 'layers-per-image.svg',
    title: 'Layers per image (CDF over images)',
    x: { title: 'Layers in the image', kind: 'count' },
    yTitle: cumulative,
    series: [{ name: 'images', points: cdfOfWeights(s.layer.layers_per_image.map((r) => ({ x: r.layers, weight: r.images }))) }],
  });
}

export function layerSizesChart(s: Summary): Chart | null {
  const buckets = (measure: string) => s.layer.size_buckets.filter((b) => b.measure === measure).map((b) => ({ x: b.upper, weight: b.layers }));
  return stepCdf({
    file: 'layer-sizes.svg',
    title: 'Layer sizes (CDF over unique layers, power-of-two buckets)',
    x: { title: 'Layer size (bucket upper end, log scale)', kind: 'bytes-log' },
    yTitle: cumulative,
    series: [
      { name: 'compressed_size', points: cdfOfWeights(buckets('compressed_size')) },
      { name: 'tar_size', points: cdfOfWeights(buckets('tar_size')) },
    ],
  });
}

export function fileSizesChart(s: Summary): Chart | null {
  const f = s.file;
  return stepCdf({
    file: 'file-sizes.svg',
    title: 'File sizes (CDF, power-of-two buckets)',
    x: { title: 'File size (bucket upper end, log scale)', kind: 'bytes-log' },
    yTitle: cumulative,
    series: [
      { name: 'files', points: cdfOfWeights(f.size_buckets.map((b) => ({ x: b.upper, weight: b.files }))) },
      { name: 'distinct contents', points: cdfOfWeights(f.size_buckets.map((b) => ({ x: b.upper, weight: b.files_distinct }))) },
      { name: 'bytes of all files', points: cdfOfWeights(f.size_buckets.map((b) => ({ x: b.upper, weight: b.file_bytes }))) },
    ],
  });
}

/**
 * Where the efficiency axis starts: the highest of 0%, 50%, 90%, 99% and 99.9% at or below every value drawn,
 * so the axis has round ends, holds every image, and says so in its title when it does not start at 0.
 */
export function efficiencyFrom(values: readonly number[]): number {
  const low = values.length ? Math.min(...values) : 0;
  return [0.999, 0.99, 0.9, 0.5].find((f) => f <= low) ?? 0;
}

export function imageEfficiencyChart(images: readonly ImageWaste[]): Chart | null {
  const path = images.map((i) => i.image_efficiency);
  const content = images.map((i) => (i.files_size > 0 ? 1 - i.content_waste / i.files_size : 1));
  const from = efficiencyFrom([...path, ...content]);
  const axis = from > 0 ? ` (axis from ${Number((from * 100).toFixed(1))}%: every image is at or above it)` : '';
  return stepCdf({
    file: 'image-efficiency.svg',
    title: 'Image efficiency (CDF over images)',
    x: { title: `Share of the image files_size not wasted${axis}`, kind: 'percent', from },
    yTitle: cumulative,
    series: [
      { name: 'image_efficiency (path-based)', points: cdfOfValues(path) },
      { name: '1 - content_waste / files_size', points: cdfOfValues(content) },
    ],
  });
}

export function fileClassesChart(s: Summary): Chart | null {
  const f = s.file;
  if (f.by_class.length === 0) return null;
  return barChart({
    file: 'file-classes.svg',
    title: 'File bytes by class',
    categories: f.by_class.map((c) => c.file_class),
    categoryTitle: 'file_class',
    value: { title: 'Bytes', kind: 'bytes' },
    series: [
      { name: 'file_bytes_total', values: f.by_class.map((c) => c.file_bytes_total) },
      { name: 'file_bytes_distinct', values: f.by_class.map((c) => c.file_bytes_distinct) },
    ],
  });
}

export function storageDesignsChart(s: Summary): Chart {
  return barChart({
    file: 'storage-designs.svg',
    title: 'Bytes kept by each storage design (uncompressed)',
    categories: s.storage.designs.map((d) => (d.chunker ? `${d.design} ${d.chunker}` : d.design)),
    categoryTitle: 'design',
    value: { title: 'Bytes kept', kind: 'bytes' },
    series: [{ name: 'uncompressed_bytes', values: s.storage.designs.map((d) => d.uncompressed_bytes) }],
  });
}

/** The charts of the report, in the order of its sections; a chart with nothing to draw is left out. */
export function reportCharts(s: Summary, images: readonly ImageWaste[]): Chart[] {
  return [
    layerRefCountsChart(s),
    layersPerImageChart(s),
    layerSizesChart(s),
    fileSizesChart(s),
    imageEfficiencyChart(images),
    fileClassesChart(s),
    storageDesignsChart(s),
  ].filter((c): c is Chart => c !== null);
}
