import type { TraceAnalysis } from '../../trace/analysis/analyze.js';
import type { Activity } from '../../trace/analysis/queries.js';
import { axisFor, barChart, type Chart, frame, palette, type Point, seriesChannels, stepCdf } from '../chart.js';

/** Quantiles at p = k/200 as CDF points. */
const cdf = (q: readonly number[]): Point[] => q.map((v, k) => [v, k / 200]);

export function responseSizeChart(a: TraceAnalysis): Chart | null {
  return stepCdf({
    file: 'response-size-cdf.svg',
    title: 'Response size CDF (cacheable requests)',
    x: { title: 'Response size (log scale)', kind: 'bytes-log' },
    yTitle: 'Fraction of requests',
    series: a.sizes.map((s) => ({ name: s.kind, points: cdf(s.quantiles) })),
  });
}

export function reaccessChart(a: TraceAnalysis): Chart | null {
  return stepCdf({
    file: 'reaccess-cdf.svg',
    title: 'Re-access distance CDF',
    x: { title: 'Time since the previous request for the object (log scale)', kind: 'seconds-log' },
    yTitle: 'Fraction of re-accesses',
    series: [{ name: 'seconds', points: cdf(a.reaccess.seconds) }],
  });
}

/** The kinds the request rate is stacked by: blob GETs, manifest GETs, and every other request. */
export const rateKinds = ['blob GET', 'manifest GET', 'other requests'] as const;

/**
 * Requests per second over time, stacked by kind (areas), with the total of all requests as a dashed line on
 * top: the areas add up to it, so no series hides another.
 */
export function requestRateChart(a: TraceAnalysis): Chart | null {
  if (a.rate.points.length === 0) return null;
  const per = (n: number) => n / a.rate.bucket_s;
  const values = a.rate.points.flatMap((p) => [
    { series: rateKinds[0], time: p.time, rate: per(p.blob_gets) },
    { series: rateKinds[1], time: p.time, rate: per(p.manifest_gets) },
    { series: rateKinds[2], time: p.time, rate: per(p.requests - p.blob_gets - p.manifest_gets) },
    { series: 'all requests', time: p.time, rate: per(p.requests) },
  ]);
  const names = [...rateKinds, 'all requests'];
  const channels = seriesChannels(names, [palette[0], palette[1], palette[5], '#222222']);
  const x = { field: 'time', type: 'temporal', title: 'Time (UTC)', ...axisFor({ title: 'Time (UTC)', kind: 'time' }, a.rate.points.map((p) => p.time)) };
  const y = { field: 'rate', type: 'quantitative', title: 'Requests per second', axis: { title: 'Requests per second' } };
  const title = `Request rate (${a.rate.bucket_s} s buckets)`;
  const spec = frame(title, {
    data: { name: 'points', values },
    layer: [
      {
        transform: [{ filter: `datum.series !== 'all requests'` }],
        mark: { type: 'area', interpolate: 'step-after', opacity: 0.75 },
        encoding: { x, y: { ...y, stack: 'zero' }, color: channels.color },
      },
      {
        transform: [{ filter: `datum.series === 'all requests'` }],
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5, strokeDash: [6, 3] },
        encoding: { x, y, color: channels.color },
      },
    ],
  });
  return { file: 'request-rate.svg', title, spec, zoom: true };
}

/**
 * Requests per object against rank, log-log, with the Zipf fit the title names: the line requests =
 * e^c * rank^-alpha, alpha and c as the analysis fits them over all objects.
 */
export function popularityChart(a: TraceAnalysis): Chart | null {
  const pts = a.popularity.rank_frequency;
  if (pts.length === 0) return null;
  const alpha = a.popularity.zipf_alpha;
  const c = a.popularity.zipf_c;
  const maxRank = Math.max(...pts.map((p) => p[0]));
  const fit = [1, maxRank].map((r) => ({ series: `Zipf fit, alpha = ${alpha.toFixed(2)}`, x: r, y: Math.exp(c - alpha * Math.log(r)) }));
  const values = pts.map(([x, y]) => ({ series: 'requests per object', x, y }));
  const all = [...values, ...fit];
  const names = [values[0].series, fit[0].series];
  const { strokeDash: _dash, ...color } = seriesChannels(names);
  const enc = {
    x: { field: 'x', type: 'quantitative', ...axisFor({ title: 'Object rank (log scale)', kind: 'count-log' }, all.map((v) => v.x)) },
    y: { field: 'y', type: 'quantitative', ...axisFor({ title: 'Requests (log scale)', kind: 'count-log' }, all.map((v) => v.y)) },
    ...color,
  };
  const title = `Object popularity (Zipf fit alpha = ${alpha.toFixed(2)})`;
  const spec = frame(title, {
    layer: [
      { data: { name: 'points', values }, mark: { type: 'point', filled: true, size: 22, clip: true }, encoding: enc },
      { data: { name: 'fit', values: fit }, mark: { type: 'line', strokeWidth: 2, clip: true }, encoding: enc },
    ],
  });
  return { file: 'popularity.svg', title, spec, zoom: true };
}

/** The share of requests and the share of bytes of each endpoint, side by side; none for a single endpoint. */
export function requestMixChart(a: TraceAnalysis): Chart | null {
  const eps = a.endpoints.slice(0, 16);
  if (eps.length < 2) return null;
  const requests = a.endpoints.reduce((n, m) => n + m.requests, 0);
  const bytes = a.endpoints.reduce((n, m) => n + m.bytes, 0);
  return barChart({
    file: 'request-mix.svg',
    title: 'Request mix by endpoint: share of requests and of bytes',
    categories: eps.map((m) => `${m.method} ${m.kind}`),
    categoryTitle: 'method and endpoint',
    value: { title: 'Share of all requests (of all response bytes)', kind: 'percent' },
    series: [
      { name: 'share of requests', values: eps.map((m) => (requests ? m.requests / requests : 0)) },
      { name: 'share of bytes', values: eps.map((m) => (bytes ? m.bytes / bytes : 0)) },
    ],
  });
}

export function topChart(file: string, title: string, categoryTitle: string, act: Activity): Chart | null {
  if (act.top.length === 0) return null;
  return barChart({
    file,
    title,
    categories: act.top.map((r) => r.name),
    categoryTitle,
    value: { title: 'Requests', kind: 'count' },
    series: [{ name: 'requests', values: act.top.map((r) => r.requests) }],
  });
}

/** The charts of analyze.md, each placed in its section; a chart with nothing to draw is left out. */
export function workloadCharts(a: TraceAnalysis): Chart[] {
  return [
    requestMixChart(a),
    responseSizeChart(a),
    requestRateChart(a),
    popularityChart(a),
    reaccessChart(a),
    topChart('top-clients.svg', `Most active clients (of ${a.clients.count})`, 'client', a.clients),
    topChart('top-repositories.svg', `Most requested repositories (of ${a.repositories.count})`, 'repository', a.repositories),
  ].filter((c): c is Chart => c !== null);
}
