import { formatBytes, formatPercent } from '../../format/text.js';
import type { TraceAnalysis } from '../../trace/analysis/analyze.js';
import type { Activity } from '../../trace/analysis/queries.js';
import { mdHeading, mdTable } from '../markdown.js';
import { type Chart, chartLink } from '../chart.js';

/** Quantile index for p = k/200. */
const at = (q: number[], p: number) => q[Math.round(p * 200)];

/** analyze.md: one section per table, each chart of CHARTS in its section, and the CSV files (FILES) at the end. */
export function workloadMarkdown(a: TraceAnalysis, charts: readonly Chart[], files: readonly string[]): string {
  return [
    ...mixSections(a, charts),
    ...sourcesSection(a),
    ...sizeSection(a, charts),
    ...rateSection(a, charts),
    ...popularitySection(a, charts),
    ...reaccessSection(a, charts),
    ...activitySection('Clients', 'client', 'repositories', a.clients, chartLink(charts, 'top-clients.svg')),
    ...activitySection('Repositories', 'repository', 'clients', a.repositories, chartLink(charts, 'top-repositories.svg')),
    mdHeading(2, 'Files'),
    'Exact figures of every table, as CSV:',
    '',
    ...files.map((f) => `- [${f}](${f})`),
    '',
  ].join('\n');
}

/** The sources (availability zones) side by side, when the trace has several: every figure is also per source in the JSON. */
function sourcesSection(a: TraceAnalysis): string[] {
  if (a.per_source.length < 2) return [];
  const row = (name: string, x: Omit<TraceAnalysis, 'data_dir' | 'per_source'>) => {
    const blobGets = x.mix.filter((m) => m.method === 'GET' && m.kind === 'blob').reduce((n, m) => n + m.requests, 0);
    return [
      name, x.overview.requests, x.overview.cacheable, (x.overview.duration_s / 3600).toFixed(2), x.rate.mean_rps.toFixed(2), x.rate.peak_rps.toFixed(2),
      formatPercent(x.overview.requests ? blobGets / x.overview.requests : 0), x.popularity.objects, formatPercent(x.popularity.top1_share),
      x.popularity.zipf_alpha.toFixed(3), formatPercent(x.popularity.max_hit_ratio), at(x.reaccess.seconds, 0.5) ?? '',
    ];
  };
  return [
    mdHeading(2, 'Sources side by side'),
    'Each source (availability zone) alone, and all together; every other section is over all sources, and summary JSON has each figure per source (`per_source`).',
    '',
    mdTable(
      ['source', 'requests', 'cacheable', 'hours', 'mean_rps', 'peak_rps', 'blob_get_share', 'objects', 'top1_share', 'zipf_alpha', 'max_hit_ratio', 'reaccess_median_s'],
      [...a.per_source.map((x) => row(x.source, x)), row('all', a)],
    ),
    '',
  ];
}

/** The title, the overview and the request mix by kind, endpoint and status. */
function mixSections(a: TraceAnalysis, charts: readonly Chart[]): string[] {
  const ov = a.overview;
  return [
    mdHeading(1, 'Registry trace analysis'),
    `Trace in \`${a.data_dir}\`: ${ov.requests} requests from ${ov.first ?? '-'} to ${ov.last ?? '-'} (UTC, ${(ov.duration_s / 3600).toFixed(2)} h), ` +
      `${ov.cacheable} of them cacheable (successful GETs of blobs and manifests). Sources: ${ov.sources.map((s) => `${s.source} (${s.requests})`).join(', ')}.`,
    '',
    mdHeading(2, 'Request mix'),
    a.endpoints.length === 1
      ? `Every request is ${a.endpoints[0].method} ${a.endpoints[0].kind}: a single endpoint, no mix to chart.\n`
      : chartLink(charts, 'request-mix.svg'),
    mdTable(
      ['method', 'kind', 'requests', 'share', 'bytes'],
      a.mix.map((m) => [m.method, m.kind, m.requests, formatPercent(m.share), formatBytes(m.bytes)]),
    ),
    'By endpoint:',
    '',
    mdTable(
      ['method', 'endpoint', 'requests', 'share'],
      a.endpoints.map((m) => [m.method, m.kind, m.requests, formatPercent(m.share)]),
    ),
    'Status codes:',
    '',
    mdTable(
      ['status', 'requests', 'share'],
      a.statuses.map((s) => [s.status === null ? 'none' : String(s.status), s.requests, formatPercent(s.share)]),
    ),
  ];
}

function sizeSection(a: TraceAnalysis, charts: readonly Chart[]): string[] {
  return [
    mdHeading(2, 'Response sizes'),
    'Cacheable requests; the p-quantile is the ceil(p*n)-th smallest size.',
    '',
    chartLink(charts, 'response-size-cdf.svg'),
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
  ];
}

function rateSection(a: TraceAnalysis, charts: readonly Chart[]): string[] {
  return [
    mdHeading(2, 'Request rate'),
    `Buckets of ${a.rate.bucket_s} s: mean ${a.rate.mean_rps.toFixed(3)} requests/s over the trace, peak ${a.rate.peak_rps.toFixed(3)} requests/s in one bucket.`,
    '',
    chartLink(charts, 'request-rate.svg'),
  ];
}

function popularitySection(a: TraceAnalysis, charts: readonly Chart[]): string[] {
  const pop = a.popularity;
  return [
    mdHeading(2, 'Popularity'),
    mdTable(
      ['objects', 'requests', 'single_request_objects', 'top1_share', 'top10_share', 'zipf_alpha', 'zipf_r2', 'max_hit_ratio'],
      [[pop.objects, pop.requests, pop.single_request_objects, formatPercent(pop.top1_share), formatPercent(pop.top10_share), pop.zipf_alpha, pop.zipf_r2, formatPercent(pop.max_hit_ratio)]],
    ),
    'top1_share / top10_share: share of requests to the most requested 1% / 10% of objects. zipf_alpha: least-squares slope of ' +
      'ln(requests) against ln(rank), negated. max_hit_ratio: the hit ratio of an unbounded cache (1 - objects / requests). ' +
      'Blobs are keyed by digest across repositories. The chart draws the fit as requests = e^zipf_c * rank^-zipf_alpha.',
    '',
    chartLink(charts, 'popularity.svg'),
  ];
}

function reaccessSection(a: TraceAnalysis, charts: readonly Chart[]): string[] {
  const re = a.reaccess;
  return [
    mdHeading(2, 'Re-access distance'),
    `${re.reaccesses} cacheable requests were for an object requested before.`,
    '',
    chartLink(charts, 'reaccess-cdf.svg'),
    mdTable(
      ['measure', 'p10', 'p50', 'p90', 'p99'],
      re.reaccesses
        ? [
            ['seconds since the previous request', ...[0.1, 0.5, 0.9, 0.99].map((p) => at(re.seconds, p))],
            ['requests since the previous request', ...[0.1, 0.5, 0.9, 0.99].map((p) => at(re.requests_between, p))],
          ]
        : [],
    ),
  ];
}

function activitySection(title: string, column: string, peers: string, act: Activity, chart: string): string[] {
  return [
    mdHeading(2, title),
    `${act.count} ${title.toLowerCase()}; the most active 1% send ${formatPercent(act.top1_share)} of the requests, the most active 10% ${formatPercent(act.top10_share)}. ` +
      `Requests per ${column}: median ${at(act.per_entity, 0.5) ?? 0}, p90 ${at(act.per_entity, 0.9) ?? 0}, max ${at(act.per_entity, 1) ?? 0}.`,
    '',
    chart,
    mdTable(
      [column, 'requests', 'bytes', 'objects', peers],
      act.top.map((r) => [r.name, r.requests, formatBytes(r.bytes), r.objects, r.peers]),
    ),
  ];
}
