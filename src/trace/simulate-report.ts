import { formatBytes } from '../format/text.js';
import { toCsvObjects } from '../report/csv.js';
import { type MdCell, mdHeading, mdTable } from '../report/markdown.js';
import { type LineSeries, lineChart } from '../report/svg.js';
import { percent, writeReportFiles } from './output.js';
import { policies } from './policies/index.js';
import type { SimResult } from './simulate.js';
import type { SimulateSummary } from './sweep.js';

/**
 * The report of `trace simulate`: simulate.md (parameters, tables of hit ratio, byte hit ratio and latency
 * saved per cache size and policy), simulate.csv (every result) and SVG charts against cache size.
 */
export function writeSimulationReport(s: SimulateSummary, policyNames: string[]): string[] {
  const labels = [...new Set(s.results.map((r) => r.label))];
  const bySize = (metric: (r: SimResult) => string) =>
    mdTable(
      [{ header: 'cache_size', align: 'right' }, ...labels.map((l) => ({ header: l, align: 'right' as const }))],
      s.sizes.map((size) => [formatBytes(size), ...labels.map((l) => cell(s.results.find((r) => r.label === l && r.cache_size === size), metric))]),
    );
  const L = s.latency;
  const p = s.params;
  const md: string[] = [
    mdHeading(1, 'Cache simulation of a registry trace'),
    `Trace in \`${s.dataDir}\`: ${s.requests} requests from ${s.first ?? '-'} to ${s.last ?? '-'} (UTC); ` +
      `${s.cacheable} cacheable (successful GETs of blobs and manifests), ${s.invalidations} invalidations (manifest PUT/DELETE, blob DELETE).`,
    '',
    `Footprint: ${s.objects} distinct objects, ${formatBytes(s.footprint_bytes)} (${s.footprint_bytes} bytes). ` +
      'Blobs are keyed by digest, so a layer pulled through several repositories is one object. Cache sizes swept: ' +
      `${s.sizes.map(formatBytes).join(', ')}.`,
    s.out_of_order ? `\nWarning: ${s.out_of_order} requests were out of timestamp order.\n` : '',
    mdHeading(2, 'Latency model'),
    'Serving an object costs a fixed time per request plus a time per MiB; a miss is served by the backend. ' +
      'Latency saved = backend cost of every cacheable request minus the cost with the cache.',
    '',
    mdTable(
      ['tier', { header: 'per request (ms)', align: 'right' }, { header: 'per MiB (ms)', align: 'right' }],
      [
        ['memory', L.memoryMs, L.memoryMsPerMiB],
        ['disk', L.diskMs, L.diskMsPerMiB],
        ['backend', L.backendMs, L.backendMsPerMiB],
      ],
    ),
    mdHeading(2, 'Policies'),
    mdTable(
      ['policy', 'description', 'parameters'],
      [
        ...policyNames.map((name) => [name, policies[name]?.description ?? '', parameters(name, s)]),
        ...(s.prefetch_timeouts.length
          ? [[`${s.prefetch_policy}+prefetch`, 'on manifest GET, load the layers seen before for the repository that the client has not pulled', `timeouts ${s.prefetch_timeouts.join(', ')} s; the ${s.prefetch_max_layers} layers last fetched per repository`]]
          : []),
      ],
    ),
    policyNames.includes('two-level') ? `For two-level, the cache size is the memory tier; the disk tier is ${p.diskRatio} times larger.\n` : '',
    mdHeading(2, 'Hit ratio'),
    bySize((r) => percent(r.hit_ratio)),
    mdHeading(2, 'Byte hit ratio'),
    bySize((r) => percent(r.byte_hit_ratio)),
    mdHeading(2, 'Latency saved'),
    'Share of the backend latency saved, and seconds saved in parentheses.',
    '',
    bySize((r) => `${percent(r.latency_saved_ratio)} (${r.latency_saved_s.toFixed(1)} s)`),
  ];
  const prefetched = s.results.filter((r) => r.prefetch_timeout !== null);
  if (prefetched.length) {
    md.push(
      mdHeading(2, 'Prefetching'),
      mdTable(
        ['cache_size', 'prefetch_timeout', 'hit_ratio', 'prefetches', 'prefetch_hits', 'accuracy', 'prefetch_bytes', 'prefetch_expired', 'prefetch_evicted'],
        prefetched.map((r) => [
          formatBytes(r.cache_size),
          `${r.prefetch_timeout} s`,
          percent(r.hit_ratio),
          r.prefetches,
          r.prefetch_hits,
          r.prefetches ? percent(r.prefetch_hits / r.prefetches) : '',
          formatBytes(r.prefetch_bytes),
          r.prefetch_expired,
          r.prefetch_evicted,
        ]),
      ),
    );
  }
  const twoLevel = s.results.filter((r) => r.policy === 'two-level' && r.prefetch_timeout === null);
  if (twoLevel.length) {
    md.push(
      mdHeading(2, 'Two-level cache tiers'),
      mdTable(
        ['cache_size', 'disk_size', 'memory_hits', 'disk_hits', 'hit_ratio'],
        twoLevel.map((r) => [formatBytes(r.cache_size), formatBytes(r.disk_size ?? 0), r.memory_hits, r.disk_hits, percent(r.hit_ratio)]),
      ),
    );
  }
  const charts: Record<string, string> = {};
  const chart = (file: string, title: string, yLabel: string, metric: (r: SimResult) => number, results: SimResult[], series: (r: SimResult) => string) => {
    const groups = new Map<string, [number, number][]>();
    for (const r of results) {
      const name = series(r);
      if (!groups.has(name)) groups.set(name, []);
      groups.get(name)!.push([r.cache_size, metric(r)]);
    }
    const lines: LineSeries[] = [...groups].map(([name, points]) => ({ name, points: points.sort((a, b) => a[0] - b[0]) }));
    charts[file] = lineChart({
      title,
      x: { label: 'Cache size', unit: 'bytes, log scale', log: true, format: 'bytes' },
      y: { label: yLabel, unit: '%', format: 'percent', min: 0, max: 1 },
      series: lines,
    });
  };
  chart('hit-ratio.svg', 'Hit ratio vs cache size', 'Hit ratio', (r) => r.hit_ratio, s.results, (r) => r.label);
  chart('byte-hit-ratio.svg', 'Byte hit ratio vs cache size', 'Byte hit ratio', (r) => r.byte_hit_ratio, s.results, (r) => r.label);
  chart('latency-saved.svg', 'Latency saved vs cache size', 'Share of backend latency saved', (r) => r.latency_saved_ratio, s.results, (r) => r.label);
  if (prefetched.length && s.prefetch_timeouts.length > 1) {
    const bySizeSeries = new Map<number, [number, number][]>();
    for (const r of prefetched) {
      if (!bySizeSeries.has(r.cache_size)) bySizeSeries.set(r.cache_size, []);
      bySizeSeries.get(r.cache_size)!.push([r.prefetch_timeout!, r.hit_ratio]);
    }
    charts['prefetch-timeout.svg'] = lineChart({
      title: `Prefetching: hit ratio vs timeout (${s.prefetch_policy})`,
      x: { label: 'Prefetch timeout', unit: 'log scale', log: true, format: 'seconds' },
      y: { label: 'Hit ratio', unit: '%', format: 'percent', min: 0, max: 1 },
      series: [...bySizeSeries].map(([size, points]) => ({ name: `cache ${formatBytes(size)}`, points: points.sort((a, b) => a[0] - b[0]) })),
    });
  }
  const files = ['simulate.csv', ...Object.keys(charts)];
  md.push(mdHeading(2, 'Files'), ...files.map((f) => `- [${f}](${f})`), '');
  return writeReportFiles(s.outDir, { 'simulate.md': md.join('\n'), 'simulate.csv': toCsvObjects(s.results), ...charts });
}

function cell(r: SimResult | undefined, metric: (r: SimResult) => string): MdCell {
  return r ? metric(r) : '';
}

function parameters(name: string, s: SimulateSummary): string {
  const p = s.params;
  if (name === 'rcache') return `objects <= ${formatBytes(p.rcacheMaxObject)}, admitted on request ${p.rcacheMinRequests}`;
  if (name === 'two-level') return `memory for objects <= ${formatBytes(p.twoLevelMaxObject)}, disk ${p.diskRatio}x memory`;
  return '';
}
