import { formatBytes } from '../../format/text.js';
import { toCsv, toCsvObjects } from '../../report/csv.js';
import { mdHeading, mdTable } from '../../report/markdown.js';
import { barChart, lineChart } from '../../report/svg.js';
import { percent, writeReportFiles } from '../output.js';
import type { TraceAnalysis } from './analyze.js';
import type { Activity } from './queries.js';

/** Quantile index for p = k/200. */
const at = (q: number[], p: number) => q[Math.round(p * 200)];

/** Writes analyze.md, one CSV per table and the SVG charts; returns the paths. */
export function writeAnalysisReport(a: TraceAnalysis): string[] {
  const ov = a.overview;
  const pop = a.popularity;
  const re = a.reaccess;
  const files: Record<string, string> = {};
  const md: string[] = [
    mdHeading(1, 'Registry trace analysis'),
    `Trace in \`${a.dataDir}\`: ${ov.requests} requests from ${ov.first ?? '-'} to ${ov.last ?? '-'} (UTC, ${(ov.duration_s / 3600).toFixed(2)} h), ` +
      `${ov.cacheable} of them cacheable (successful GETs of blobs and manifests). Sources: ${ov.sources.map((s) => `${s.source} (${s.requests})`).join(', ')}.`,
    '',
    mdHeading(2, 'Request mix'),
    mdTable(
      ['method', 'kind', 'requests', 'share', 'bytes'],
      a.mix.map((m) => [m.method, m.kind, m.requests, percent(m.share), formatBytes(m.bytes)]),
    ),
    'By endpoint:',
    '',
    mdTable(
      ['method', 'endpoint', 'requests', 'share'],
      a.endpoints.map((m) => [m.method, m.kind, m.requests, percent(m.share)]),
    ),
    'Status codes:',
    '',
    mdTable(
      ['status', 'requests', 'share'],
      a.statuses.map((s) => [s.status === null ? 'none' : String(s.status), s.requests, percent(s.share)]),
    ),
    mdHeading(2, 'Response sizes'),
    'Cacheable requests; the p-quantile is the ceil(p*n)-th smallest size.',
    '',
    mdTable(
      ['kind', 'requests', 'mean', 'min', 'p50', 'p90', 'p99', 'max', 'bytes'],
      a.sizes.map((s) => [
        s.kind,
        s.requests,
        formatBytes(s.mean),
        formatBytes(at(s.quantiles, 0)),
        formatBytes(at(s.quantiles, 0.5)),
        formatBytes(at(s.quantiles, 0.9)),
        formatBytes(at(s.quantiles, 0.99)),
        formatBytes(at(s.quantiles, 1)),
        formatBytes(s.bytes),
      ]),
    ),
    mdHeading(2, 'Request rate'),
    `Buckets of ${a.rate.bucket_s} s: mean ${a.rate.mean_rps.toFixed(3)} requests/s over the trace, peak ${a.rate.peak_rps.toFixed(3)} requests/s in one bucket.`,
    '',
    mdHeading(2, 'Popularity'),
    mdTable(
      ['objects', 'requests', 'single_request_objects', 'top1_share', 'top10_share', 'zipf_alpha', 'zipf_r2', 'max_hit_ratio'],
      [[pop.objects, pop.requests, pop.single_request_objects, percent(pop.top1_share), percent(pop.top10_share), pop.zipf_alpha, pop.zipf_r2, percent(pop.max_hit_ratio)]],
    ),
    'top1_share / top10_share: share of requests to the most requested 1% / 10% of objects. zipf_alpha: least-squares slope of ' +
      'ln(requests) against ln(rank), negated. max_hit_ratio: the hit ratio of an unbounded cache (1 - objects / requests). ' +
      'Blobs are keyed by digest across repositories.',
    '',
    mdHeading(2, 'Re-access distance'),
    `${re.reaccesses} cacheable requests were for an object requested before.`,
    '',
    mdTable(
      ['measure', 'p10', 'p50', 'p90', 'p99'],
      re.reaccesses
        ? [
            ['seconds since the previous request', ...[0.1, 0.5, 0.9, 0.99].map((p) => at(re.seconds, p))],
            ['requests since the previous request', ...[0.1, 0.5, 0.9, 0.99].map((p) => at(re.requests_between, p))],
          ]
        : [],
    ),
    ...activitySection('Clients', 'client', 'repositories', a.clients),
    ...activitySection('Repositories', 'repository', 'clients', a.repositories),
  ];
  files['request-mix.csv'] = toCsvObjects(a.mix);
  files['endpoints.csv'] = toCsv(
    ['method', 'endpoint', 'requests', 'bytes', 'share'],
    a.endpoints.map((m) => [m.method, m.kind, m.requests, m.bytes, m.share]),
  );
  files['status-codes.csv'] = toCsvObjects(a.statuses);
  files['response-sizes.csv'] = toCsv(
    ['kind', 'p', 'response_size'],
    a.sizes.flatMap((s) => s.quantiles.map((v, k) => [s.kind, k / 200, v])),
  );
  files['request-rate.csv'] = toCsv(
    ['time', 'requests', 'blob_gets', 'manifest_gets', 'bytes', 'requests_per_s'],
    a.rate.points.map((p) => [new Date(p.time), p.requests, p.blob_gets, p.manifest_gets, p.bytes, p.requests / a.rate.bucket_s]),
  );
  files['popularity.csv'] = toCsv(['rank', 'requests'], pop.rank_frequency);
  files['reaccess.csv'] = toCsv(
    ['p', 'seconds', 'requests_between'],
    re.seconds.map((s, k) => [k / 200, s, re.requests_between[k]]),
  );
  files['clients.csv'] = toCsv(['client', 'requests', 'bytes', 'objects', 'repositories'], a.clients.top.map((r) => [r.name, r.requests, r.bytes, r.objects, r.peers]));
  files['repositories.csv'] = toCsv(['repository', 'requests', 'bytes', 'objects', 'clients'], a.repositories.top.map((r) => [r.name, r.requests, r.bytes, r.objects, r.peers]));

  const cdf = (q: number[]): [number, number][] => q.map((v, k) => [v, k / 200]);
  files['response-size-cdf.svg'] = lineChart({
    title: 'Response size CDF (cacheable requests)',
    x: { label: 'Response size', unit: 'bytes, log scale', log: true, format: 'bytes' },
    y: { label: 'Fraction of requests', unit: '%', format: 'percent', min: 0, max: 1 },
    series: a.sizes.map((s) => ({ name: s.kind, points: cdf(s.quantiles) })),
    markers: false,
  });
  files['request-rate.svg'] = lineChart({
    title: `Request rate (${a.rate.bucket_s} s buckets)`,
    x: { label: 'Time', unit: 'UTC', format: 'time' },
    y: { label: 'Requests per second', unit: 'req/s', min: 0 },
    series: [
      { name: 'all requests', points: a.rate.points.map((p) => [p.time, p.requests / a.rate.bucket_s]) },
      { name: 'blob GET', points: a.rate.points.map((p) => [p.time, p.blob_gets / a.rate.bucket_s]) },
      { name: 'manifest GET', points: a.rate.points.map((p) => [p.time, p.manifest_gets / a.rate.bucket_s]) },
    ],
    markers: false,
  });
  files['popularity.svg'] = lineChart({
    title: `Object popularity (Zipf fit alpha = ${pop.zipf_alpha.toFixed(2)})`,
    x: { label: 'Object rank', unit: 'log scale', log: true },
    y: { label: 'Requests', unit: 'log scale', log: true },
    series: [{ name: 'requests per object', points: pop.rank_frequency }],
  });
  files['reaccess-cdf.svg'] = lineChart({
    title: 'Re-access distance CDF',
    x: { label: 'Time since the previous request for the object', unit: 'log scale', log: true, format: 'seconds' },
    y: { label: 'Fraction of re-accesses', unit: '%', format: 'percent', min: 0, max: 1 },
    series: [{ name: 'seconds', points: cdf(re.seconds) }],
    markers: false,
  });
  const mixTop = a.mix.slice(0, 12);
  files['request-mix.svg'] = barChart({
    title: 'Request mix',
    categories: mixTop.map((m) => `${m.method} ${m.kind}`),
    categoryLabel: 'method and kind',
    value: { label: 'Requests', unit: 'count' },
    series: [{ name: 'requests', values: mixTop.map((m) => m.requests) }],
  });
  files['top-clients.svg'] = barChart({
    title: `Most active clients (of ${a.clients.count})`,
    categories: a.clients.top.map((r) => r.name),
    categoryLabel: 'client',
    value: { label: 'Requests', unit: 'count' },
    series: [{ name: 'requests', values: a.clients.top.map((r) => r.requests) }],
  });
  files['top-repositories.svg'] = barChart({
    title: `Most requested repositories (of ${a.repositories.count})`,
    categories: a.repositories.top.map((r) => r.name),
    categoryLabel: 'repository',
    value: { label: 'Requests', unit: 'count' },
    series: [{ name: 'requests', values: a.repositories.top.map((r) => r.requests) }],
  });
  md.push(mdHeading(2, 'Files'), ...Object.keys(files).map((f) => (f.endsWith('.svg') ? `- ![${f}](${f})` : `- [${f}](${f})`)), '');
  return writeReportFiles(a.outDir, { 'analyze.md': md.join('\n'), ...files });
}

function activitySection(title: string, column: string, peers: string, act: Activity): string[] {
  return [
    mdHeading(2, title),
    `${act.count} ${title.toLowerCase()}; the most active 1% send ${percent(act.top1_share)} of the requests, the most active 10% ${percent(act.top10_share)}. ` +
      `Requests per ${column}: median ${at(act.per_entity, 0.5) ?? 0}, p90 ${at(act.per_entity, 0.9) ?? 0}, max ${at(act.per_entity, 1) ?? 0}.`,
    '',
    mdTable(
      [column, 'requests', 'bytes', 'objects', peers],
      act.top.map((r) => [r.name, r.requests, formatBytes(r.bytes), r.objects, r.peers]),
    ),
  ];
}
