import type { TraceAnalysis } from '../../trace/analysis/analyze.js';
import type { Activity } from '../../trace/analysis/queries.js';
import { barChart, lineChart } from '../svg.js';

/** Quantiles at p = k/200 as CDF points. */
const cdf = (q: number[]): [number, number][] => q.map((v, k) => [v, k / 200]);

/** The SVG charts of analyze.md: CDFs of sizes and re-access, rate over time, popularity, and the top bars. */
export function workloadCharts(a: TraceAnalysis): Record<string, string> {
  return {
    ...lineCharts(a),
    'request-mix.svg': mixChart(a),
    'top-clients.svg': topChart(`Most active clients (of ${a.clients.count})`, 'client', a.clients),
    'top-repositories.svg': topChart(`Most requested repositories (of ${a.repositories.count})`, 'repository', a.repositories),
  };
}

function lineCharts(a: TraceAnalysis): Record<string, string> {
  const perSecond = (n: number) => n / a.rate.bucket_s;
  return {
    'response-size-cdf.svg': lineChart({
      title: 'Response size CDF (cacheable requests)',
      x: { label: 'Response size', unit: 'bytes, log scale', log: true, format: 'bytes' },
      y: { label: 'Fraction of requests', unit: '%', format: 'percent', min: 0, max: 1 },
      series: a.sizes.map((s) => ({ name: s.kind, points: cdf(s.quantiles) })),
      markers: false,
    }),
    'request-rate.svg': lineChart({
      title: `Request rate (${a.rate.bucket_s} s buckets)`,
      x: { label: 'Time', unit: 'UTC', format: 'time' },
      y: { label: 'Requests per second', unit: 'req/s', min: 0 },
      series: [
        { name: 'all requests', points: a.rate.points.map((p) => [p.time, perSecond(p.requests)]) },
        { name: 'blob GET', points: a.rate.points.map((p) => [p.time, perSecond(p.blob_gets)]) },
        { name: 'manifest GET', points: a.rate.points.map((p) => [p.time, perSecond(p.manifest_gets)]) },
      ],
      markers: false,
    }),
    'popularity.svg': lineChart({
      title: `Object popularity (Zipf fit alpha = ${a.popularity.zipf_alpha.toFixed(2)})`,
      x: { label: 'Object rank', unit: 'log scale', log: true },
      y: { label: 'Requests', unit: 'log scale', log: true },
      series: [{ name: 'requests per object', points: a.popularity.rank_frequency }],
    }),
    'reaccess-cdf.svg': lineChart({
      title: 'Re-access distance CDF',
      x: { label: 'Time since the previous request for the object', unit: 'log scale', log: true, format: 'seconds' },
      y: { label: 'Fraction of re-accesses', unit: '%', format: 'percent', min: 0, max: 1 },
      series: [{ name: 'seconds', points: cdf(a.reaccess.seconds) }],
      markers: false,
    }),
  };
}

function mixChart(a: TraceAnalysis): string {
  const mixTop = a.mix.slice(0, 12);
  return barChart({
    title: 'Request mix',
    categories: mixTop.map((m) => `${m.method} ${m.kind}`),
    categoryLabel: 'method and kind',
    value: { label: 'Requests', unit: 'count' },
    series: [{ name: 'requests', values: mixTop.map((m) => m.requests) }],
  });
}

function topChart(title: string, categoryLabel: string, act: Activity): string {
  return barChart({
    title,
    categories: act.top.map((r) => r.name),
    categoryLabel,
    value: { label: 'Requests', unit: 'count' },
    series: [{ name: 'requests', values: act.top.map((r) => r.requests) }],
  });
}
