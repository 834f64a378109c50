import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDataset, type Analysis } from '../../../src/analysis/analyze.js';
import { reportFormats } from '../../../src/report/redundancy/formats.js';
import { redundancyReport } from '../../../src/report/redundancy/index.js';
import { chartScripts, writeReport } from '../../../src/report/write.js';
import { file, image, layer, randomDataset, writeRows } from '../analysis/build.js';
import { bucketOf, referenceSummary, type RefDataset } from '../analysis/reference.js';
import { validate } from '../analysis/schema-check.js';
import { readChart, seriesOf } from './chart-data.js';

const root = mkdtempSync(join(tmpdir(), 'imgscan-analyze-report-'));
const out = join(root, 'report');
const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'schemas', 'summary.schema.json'), 'utf8'));
let analysis: Analysis;
let ds: RefDataset;

beforeAll(async () => {
  const random = randomDataset(42, 20, 16);
  const chunker = 'fastcdc-16384-4096-65536';
  // A hostile path: it must reach report.md and report.html as text, never as markup.
  const big = layer('chunked', [file('big', 'big', 70000, 'other'), file('small', 'small', 10), file('</script><img src=x onerror=alert(1)>|a', 'big', 70000, 'other')], { chunker });
  ds = { ...random, layers: [...random.layers, big], images: [...random.images, image('chunked', [big])] };
  const dir = join(root, 'data');
  await writeRows(dir, { layers: ds.layers, images: ds.images });
  analysis = await analyzeDataset({ dataDirs: [dir], top: 5 });
  writeReport(out, await redundancyReport(analysis.summary, analysis.images, reportFormats, chartScripts()));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A chart file of the report read back through Vega: its spec and the rows it draws. */
async function chart(f: string) {
  return readChart(readFileSync(join(out, f), 'utf8'));
}

/** Cumulative fractions at each distinct x, from (x, weight) pairs, computed here independently. */
function cdf(pairs: [number, number][]): number[][] {
  const m = new Map<number, number>();
  for (const [x, w] of pairs) m.set(x, (m.get(x) ?? 0) + w);
  const xs = [...m.keys()].sort((a, b) => a - b);
  const total = xs.reduce((s, x) => s + m.get(x)!, 0);
  let run = 0;
  const points = total > 0 ? xs.map((x) => [x, (run += m.get(x)!) / total]) : [];
  // As a step CDF draws it: a rise from 0 at the smallest value first.
  return points.length ? [[points[0][0], 0], ...points] : [];
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  return rows;
}

describe('the written report', () => {
  it('summary.json holds the analysis and validates against schemas/summary.schema.json', () => {
    const written = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(written).toEqual(JSON.parse(JSON.stringify(analysis.summary)));
    expect(validate(written, schema)).toEqual([]);
  });

  it('the validator catches a missing figure, a wrong type, an unknown key and an out-of-range fraction', () => {
    const s = JSON.parse(JSON.stringify(analysis.summary));
    delete s.file.file_dedup_ratio;
    s.dataset.images = 'seven';
    s.layer.extra = 1;
    s.image.path_waste_fraction = 1.5;
    const errors = validate(s, schema);
    expect(errors).toEqual(expect.arrayContaining([
      '$.file: missing file_dedup_ratio',
      '$.dataset.images: string is not integer',
      '$.layer: unexpected property extra',
      '$.image.path_waste_fraction: 1.5 > 1',
    ]));
  });

  it('report.md has the seven sections, well-formed tables and links to charts that exist', () => {
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    for (const h of ['## 1. Dataset', '## 2. Layer level', '## 3. File level', '## 4. Per image', '## 5. Storage designs compared', '## 6. Chunk level', '## 7. Published Docker Hub figures beside ours']) {
      expect(md).toContain(`\n${h}\n`);
    }
    const cells = (line: string) => line.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|').length - 2;
    const lines = md.split('\n');
    let tables = 0;
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].startsWith('|') || (i > 0 && lines[i - 1].startsWith('|'))) continue;
      tables++;
      const width = cells(lines[i]);
      expect(lines[i - 1], `blank line before the table at line ${i + 1}`).toBe('');
      expect(lines[i + 1]).toMatch(/^\|( (---|---:|:---:) \|)+$/);
      expect(cells(lines[i + 1])).toBe(width);
      for (let j = i + 1; j < lines.length && lines[j].startsWith('|'); j++) {
        expect(lines[j].endsWith(' |'), `line ${j + 1}`).toBe(true);
        expect(cells(lines[j]), `line ${j + 1}`).toBe(width);
      }
    }
    expect(tables).toBeGreaterThanOrEqual(15);
    const links = [...md.matchAll(/!\[[^\]]+\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBe(7);
    for (const l of links) expect(existsSync(join(out, l)), l).toBe(true);
  });

  it('every SVG parses, has a title and titled axes, draws its marks and holds the plotted series', async () => {
    const svgs = readdirSync(out).filter((f) => f.endsWith('.svg'));
    expect(svgs.sort()).toEqual(['file-classes.svg', 'file-sizes.svg', 'image-efficiency.svg', 'layer-ref-counts.svg', 'layer-sizes.svg', 'layers-per-image.svg', 'storage-designs.svg']);
    for (const f of svgs) {
      const c = await chart(f);
      const svg = readFileSync(join(out, f), 'utf8');
      expect(svg).toContain(`>${(c.spec.title as { text: string }).text}</text>`);
      expect((svg.match(/<g class="mark-text role-axis-title"/g) ?? []).length, f).toBe(2);
      expect(c.sets.points.length, f).toBeGreaterThan(0);
    }
  });

  it('the series are the distributions of the data, computed here from the rows', async () => {
    const ref = referenceSummary(ds, 5);
    const read = ds.layers;
    const series = async (f: string, name: string) => seriesOf((await chart(f)).sets.points).get(name);
    const files = read.flatMap((l) => l.entries.filter((e) => e.entry_type === 'file'));
    const distinct = new Map(files.map((e) => [e.digest!, e.size]));
    expect(await series('file-sizes.svg', 'files')).toEqual(cdf(files.map((e) => [bucketOf(e.size), 1])));
    expect(await series('file-sizes.svg', 'distinct contents')).toEqual(cdf([...distinct.values()].map((s) => [bucketOf(s), 1])));
    expect(await series('file-sizes.svg', 'bytes of all files')).toEqual(cdf(files.map((e) => [bucketOf(e.size), e.size])));
    expect(await series('layer-sizes.svg', 'tar_size')).toEqual(cdf(read.map((l) => [bucketOf(l.tar_size), 1])));
    expect(await series('layer-sizes.svg', 'compressed_size')).toEqual(cdf(read.map((l) => [bucketOf(l.compressed_size), 1])));
    expect(await series('layers-per-image.svg', 'images')).toEqual(cdf(ds.images.map((i) => [i.layers.length, 1])));
    const refs = new Map<string, number>();
    for (const i of ds.images) for (const l of i.layers) refs.set(l.layer_digest, (refs.get(l.layer_digest) ?? 0) + 1);
    expect(await series('layer-ref-counts.svg', 'layers')).toEqual(cdf([...refs.values()].map((n) => [n, 1])));
    // Fractions come out of the analysis to 15 significant digits (src/analysis/db.ts, plain).
    expect(await series('image-efficiency.svg', 'image_efficiency (path-based)')).toEqual(cdf(ref.allImages.map((i) => [Number(i.image_efficiency.toPrecision(15)), 1])));
    const bars = async (f: string) => {
      const rows = (await chart(f)).sets.points;
      const names = [...new Set(rows.map((r) => String(r.series)))];
      return { categories: [...new Set(rows.map((r) => r.category))], series: names.map((n) => rows.filter((r) => r.series === n).map((r) => r.value)) };
    };
    const classes = await bars('file-classes.svg');
    expect(classes.categories).toEqual(ref.file.by_class.map((c) => c.file_class));
    expect(classes.series).toEqual([ref.file.by_class.map((c) => c.file_bytes_total), ref.file.by_class.map((c) => c.file_bytes_distinct)]);
    const designs = await bars('storage-designs.svg');
    expect(designs.categories).toEqual(ref.storage.designs.map((d) => d.design));
    expect(designs.series[0]).toEqual(ref.storage.designs.map((d) => d.uncompressed_bytes));
  });

  it('the count and size axes: layers per image ends at the most layers an image has, ticking at integers', async () => {
    const c = await chart('layers-per-image.svg');
    const most = Math.max(...ds.images.map((i) => i.layers.length));
    const fewest = Math.min(...ds.images.map((i) => i.layers.length));
    const x = (c.spec.layer as { encoding: { x: { scale: { domain: number[] }; axis: { values: number[] } } } }[])[0].encoding.x;
    expect(x.scale.domain).toEqual([fewest, most]);
    for (const t of x.axis.values) expect(Number.isInteger(t)).toBe(true);
  });

  it('report.html holds the sections of report.md, a chart for each chart link, and escapes the hostile path', () => {
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const headings = [...md.matchAll(/^#{1,6} (.*)$/gm)].map((m) => m[1]);
    const htmlHeadings = [...html.matchAll(/<h[1-6] id="[^"]*">(.*?)<\/h[1-6]>/g)].map((m) => m[1].replace(/&amp;/g, '&'));
    expect(htmlHeadings).toEqual(headings);
    const links = [...md.matchAll(/^!\[[^\]]+\]\(([^)]+)\)$/gm)].length;
    expect((html.match(/<div class="chart" data-chart=/g) ?? []).length).toBe(links);
    expect(md).toContain('</script><img src=x onerror=alert(1)>\\|a');
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;|a');
    // Outside the scripts no markup comes from the data; inside, the chart specs (JSON) hold no '<' at all.
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBe(5);
    expect(html.replace(/<script[\s\S]*?<\/script>/g, '').includes('<img')).toBe(false);
    const specs = scripts.find((m) => m[1].includes('chart-specs'))!;
    expect(specs[2].includes('<')).toBe(false);
    expect(JSON.parse(specs[2]).length).toBe(links);
    // Nothing is loaded from elsewhere: no script src, no stylesheet link.
    expect(/<script[^>]+src=|<link[^>]+href=|<iframe/i.test(html)).toBe(false);
  });

  it('section 7 says a dataset of fewer than 100 repositories is too small to compare with Docker Hub', async () => {
    const md = async (repositories: number) => (await redundancyReport({ ...analysis.summary, dataset: { ...analysis.summary.dataset, repositories } }, analysis.images, ['md'], chartScripts()))['report.md'];
    expect(await md(99)).toContain('**Too small to compare:** 99 repositories, fewer than 100.');
  });

  it('section 7 sets a dataset of 100 repositories or more beside Docker Hub without that warning', async () => {
    const md = (await redundancyReport({ ...analysis.summary, dataset: { ...analysis.summary.dataset, repositories: 100 } }, analysis.images, ['md'], chartScripts()))['report.md'];
    expect(md).toContain('## 7. Published Docker Hub figures beside ours');
    expect(md).not.toContain('Too small to compare');
  });

  it('csv/ has one file per table, headers named as in summary.json, and every image', () => {
    const dir = join(out, 'csv');
    const tables = Object.fromEntries(readdirSync(dir).map((f) => [f, parseCsv(readFileSync(join(dir, f), 'utf8'))]));
    expect(Object.keys(tables).length).toBe(24);
    expect(tables['compression-sample.csv'].length).toBe(analysis.summary.compression.classes.length + 1);
    for (const [name, rows] of Object.entries(tables)) for (const r of rows) expect(r.length, name).toBe(rows[0].length);
    const images = tables['images.csv'];
    expect(images[0]).toEqual(['manifest_digest', 'ref', 'layer_refs', 'layers_read', 'compressed_size', 'tar_size', 'files_size', 'file_count', 'content_waste', 'path_waste', 'image_efficiency']);
    expect(images.slice(1).map((r) => [r[0], Number(r[9])])).toEqual(analysis.images.map((i) => [i.manifest_digest, i.path_waste]));
    const dataset = tables['dataset.csv'];
    expect(Object.fromEntries(dataset[0].map((k, i) => [k, Number(dataset[1][i])]))).toEqual(analysis.summary.dataset);
    expect(tables['file_classes.csv'].length).toBe(analysis.summary.file.by_class.length + 1);
    expect(tables['chunks.csv'][1][0]).toBe('fastcdc-16384-4096-65536');
  });

  it('csv/traffic.csv has a row per design with the pull and update figures of summary.json', () => {
    const [head, ...rows] = parseCsv(readFileSync(join(out, 'csv', 'traffic.csv'), 'utf8'));
    expect(head).toEqual(['design', 'chunker', 'compressed', 'estimated', 'pulls', 'pull_bytes_median', 'pull_bytes_p90', 'pull_bytes_total', 'updates', 'update_bytes_median', 'update_bytes_p90', 'update_bytes_total']);
    expect(rows.map((r) => [r[0], r[3], Number(r[7])])).toEqual(analysis.summary.traffic.designs.map((d) => [d.design, String(d.estimated), d.pull_bytes_total]));
  });

  it('shows each chunker: a storage row per chunker in report.md and storage.csv, chunks.csv, and a valid summary.json', async () => {
    const names = ['fastcdc-16384-4096-65536', 'fixed-4096', 'rollsum-256'];
    const x = layer('three x', [file('f1', 'one', 40000), file('f2', 'two', 100)], { chunker: names.join(',') });
    const y = layer('three y', [file('g1', 'one', 40000), file('g2', 'three', 9000)], { chunker: names.join(',') });
    const chunks = [x, y].flatMap((l) => names.flatMap((name, i) => l.entries.flatMap((e) => {
      const piece = [16384, 4096, 256][i]!;
      return Array.from({ length: Math.ceil(e.size / piece) }, (_, k) => ({
        layer_digest: l.layer_digest, entry_index: e.entry_index, chunk_index: k, digest: `${e.digest} ${piece} ${k}`, size: Math.min(piece, e.size - k * piece), chunker: name,
      }));
    })));
    const dir = join(root, 'three-chunkers');
    await writeRows(dir, { layers: [x, y], images: [image('three', [x, y])], chunks });
    const a = await analyzeDataset({ dataDirs: [dir] });
    const files = await redundancyReport(a.summary, a.images, ['md', 'csv', 'json'], chartScripts());
    const rows = a.summary.storage.designs.filter((d) => d.design === 'chunk_dedup');
    expect(rows.map((d) => d.chunker)).toEqual(names);
    const md = files['report.md']!;
    for (const d of rows) expect(md).toMatch(new RegExp(`\\| chunk_dedup \\| ${d.chunker} \\| .* \\| ${d.chunk_refs} \\| ${d.chunks_distinct} \\| 32 \\|`));
    const [head, ...csvRows] = parseCsv(files[join('csv', 'storage.csv')]!);
    expect(head).toEqual(['design', 'chunker', 'content_bytes', 'metadata_bytes', 'chunk_refs', 'chunks_distinct', 'chunk_ref_bytes', 'uncompressed_bytes', 'compressed_bytes', 'compressed_how', 'compressed_low', 'compressed_high', 'zstd_bytes', 'zstd_low', 'zstd_high', 'ratio_to_layer_dedup', 'compressed_ratio_to_layer_dedup']);
    expect(csvRows.map((r) => [r[0], r[1], r[4]])).toEqual(a.summary.storage.designs.map((d) => [d.design, d.chunker ?? '', d.chunk_refs === null ? '' : String(d.chunk_refs)]));
    expect(parseCsv(files[join('csv', 'chunks.csv')]!).slice(1).map((r) => r[0])).toEqual(names);
    expect(validate(JSON.parse(files['summary.json']!), schema)).toEqual([]);
  });

  it('writes only the formats asked for', async () => {
    const only = join(root, 'only-json');
    const a = await analyzeDataset({ dataDirs: [join(root, 'data')] });
    const files = writeReport(only, await redundancyReport(a.summary, a.images, ['json'], chartScripts()));
    expect(files).toEqual([join(only, 'summary.json')]);
    expect(readdirSync(only)).toEqual(['summary.json']);
  });
});
