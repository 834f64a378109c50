import { barChart, lineChart } from '../svg.js';
import { cdfOfValues, cdfOfWeights, type Point } from '../../analysis/cdf.js';
import type { ImageWaste, Summary } from '../../analysis/types.js';

/** One chart of the report: its file name beside report.md, its title and the SVG text. */
export interface Chart {
  file: string;
  title: string;
  svg: string;
}

/** A chart as a Markdown image beside report.md, when it was drawn. */
export function chartLink(charts: readonly Chart[], file: string): string {
  const c = charts.find((x) => x.file === file);
  return c ? `![${c.title}](${c.file})\n` : '';
}

const fractionAxis = { label: 'Cumulative fraction', format: 'percent' as const, min: 0, max: 1 };

function line(file: string, title: string, x: Parameters<typeof lineChart>[0]['x'], series: { name: string; points: Point[] }[]): Chart | null {
  const drawn = series.filter((s) => s.points.length > 0);
  if (drawn.length === 0) return null;
  return { file, title, svg: lineChart({ title, x, y: fractionAxis, series: drawn }) };
}

/** The charts of the report (CDFs with log axes for sizes and counts, bar charts for classes and designs). */
export function reportCharts(s: Summary, images: readonly ImageWaste[]): Chart[] {
  const l = s.layer;
  const f = s.file;
  const charts: (Chart | null)[] = [
    line('layer-ref-counts.svg', 'Layer reference counts (CDF over unique layers)', { label: 'References to the layer (layer_refs)', unit: 'count, log scale', log: true }, [
      { name: 'layers', points: cdfOfWeights(l.layer_ref_counts.map((r) => ({ x: r.layer_refs, weight: r.layers }))) },
      { name: 'compressed bytes', points: cdfOfWeights(l.layer_ref_counts.map((r) => ({ x: r.layer_refs, weight: r.compressed_size }))) },
    ]),
    line('layers-per-image.svg', 'Layers per image (CDF over images)', { label: 'Layers in the image', unit: 'count' }, [
      { name: 'images', points: cdfOfWeights(l.layers_per_image.map((r) => ({ x: r.layers, weight: r.images }))) },
    ]),
    line('layer-sizes.svg', 'Layer sizes (CDF over unique layers, power-of-two buckets)', { label: 'Layer size', unit: 'bytes, log scale', log: true, format: 'bytes' }, [
      { name: 'compressed_size', points: cdfOfWeights(l.size_buckets.filter((b) => b.measure === 'compressed_size').map((b) => ({ x: b.upper, weight: b.layers }))) },
      { name: 'tar_size', points: cdfOfWeights(l.size_buckets.filter((b) => b.measure === 'tar_size').map((b) => ({ x: b.upper, weight: b.layers }))) },
    ]),
    line('file-sizes.svg', 'File sizes (CDF, power-of-two buckets)', { label: 'File size', unit: 'bytes, log scale', log: true, format: 'bytes' }, [
      { name: 'files', points: cdfOfWeights(f.size_buckets.map((b) => ({ x: b.upper, weight: b.files }))) },
      { name: 'distinct contents', points: cdfOfWeights(f.size_buckets.map((b) => ({ x: b.upper, weight: b.files_distinct }))) },
      { name: 'bytes of all files', points: cdfOfWeights(f.size_buckets.map((b) => ({ x: b.upper, weight: b.file_bytes }))) },
    ]),
    line('image-efficiency.svg', 'Image efficiency (CDF over images)', { label: 'Share of the image files_size not wasted', unit: '%', format: 'percent', max: 1 }, [
      { name: 'image_efficiency (path-based)', points: cdfOfValues(images.map((i) => i.image_efficiency)) },
      { name: '1 - content_waste / files_size', points: cdfOfValues(images.map((i) => (i.files_size > 0 ? 1 - i.content_waste / i.files_size : 1))) },
    ]),
  ];
  if (f.by_class.length > 0) {
    charts.push({
      file: 'file-classes.svg',
      title: 'File bytes by class',
      svg: barChart({
        title: 'File bytes by class',
        categories: f.by_class.map((c) => c.file_class),
        categoryLabel: 'file_class',
        value: { label: 'Bytes', unit: 'binary units', format: 'bytes' },
        series: [
          { name: 'file_bytes_total', values: f.by_class.map((c) => c.file_bytes_total) },
          { name: 'file_bytes_distinct', values: f.by_class.map((c) => c.file_bytes_distinct) },
        ],
      }),
    });
  }
  charts.push({
    file: 'storage-designs.svg',
    title: 'Bytes kept by each storage design (uncompressed)',
    svg: barChart({
      title: 'Bytes kept by each storage design (uncompressed)',
      categories: s.storage.designs.map((d) => (d.chunker ? `${d.design} ${d.chunker}` : d.design)),
      categoryLabel: 'design',
      value: { label: 'Bytes kept', unit: 'binary units', format: 'bytes' },
      series: [{ name: 'uncompressed_bytes', values: s.storage.designs.map((d) => d.uncompressed_bytes) }],
    }),
  });
  return charts.filter((c): c is Chart => c !== null);
}
