import { formatBytes } from '../../format/text.js';
import type { SimResult } from '../../trace/simulate.js';
import type { SimulateSummary } from '../../trace/sweep.js';
import { type Chart, lineChart, type Point, type Series } from '../chart.js';

/** The series name of a result: its policy label, and for two-level that the size is memory and disk together. */
export function seriesName(r: SimResult): string {
  return r.disk_size === null ? r.label : `${r.label} (memory + disk)`;
}

/**
 * One line per policy label: the metric at each total capacity, the bytes the cache holds (for two-level, memory
 * and disk tiers together: plotted at its memory size it would seem to get more from less).
 */
export function metricChart(file: string, title: string, yTitle: string, metric: (r: SimResult) => number, results: readonly SimResult[]): Chart | null {
  const groups = new Map<string, Point[]>();
  for (const r of results) {
    const name = seriesName(r);
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name)!.push([r.cache_size + (r.disk_size ?? 0), metric(r)]);
  }
  if (groups.size === 0) return null;
  const series: Series[] = [...groups].map(([name, points]) => ({ name, points: points.sort((a, b) => a[0] - b[0]) }));
  return lineChart({
    file,
    title,
    x: { title: 'Cache capacity, all tiers (log scale)', kind: 'bytes-log' },
    y: { title: yTitle, kind: 'percent' },
    series,
  });
}

/** The series name of a prefetching result: its cache size, and the trigger when it is a layer miss. */
export function timeoutSeriesName(r: SimResult): string {
  return `cache ${formatBytes(r.cache_size)}${r.prefetch_trigger === 'layer-miss' ? ', on layer miss' : ''}`;
}

/** One line per cache size and trigger: the hit ratio with prefetching at each timeout. */
export function timeoutChart(s: SimulateSummary): Chart | null {
  const prefetched = s.results.filter((r) => r.prefetch_timeout !== null);
  if (!prefetched.length || s.prefetch_timeouts.length < 2) return null;
  const bySize = new Map<string, Point[]>();
  for (const r of prefetched) {
    const name = timeoutSeriesName(r);
    if (!bySize.has(name)) bySize.set(name, []);
    bySize.get(name)!.push([r.prefetch_timeout!, r.hit_ratio]);
  }
  return lineChart({
    file: 'prefetch-timeout.svg',
    title: `Prefetching: hit ratio vs timeout (${s.prefetch_policy})`,
    x: { title: 'Prefetch timeout (log scale)', kind: 'seconds-log' },
    y: { title: 'Hit ratio', kind: 'percent' },
    series: [...bySize].map(([name, points]) => ({ name, points: points.sort((a, b) => a[0] - b[0]) })),
  });
}

/** The charts of simulate.md: each metric against cache size per policy, and hit ratio against prefetch timeout. */
export function simulationCharts(s: SimulateSummary): Chart[] {
  return [
    metricChart('hit-ratio.svg', 'Hit ratio vs cache size', 'Hit ratio', (r) => r.hit_ratio, s.results),
    metricChart('byte-hit-ratio.svg', 'Byte hit ratio vs cache size', 'Byte hit ratio', (r) => r.byte_hit_ratio, s.results),
    metricChart('latency-saved.svg', 'Latency saved vs cache size', 'Share of backend latency saved', (r) => r.latency_saved_ratio, s.results),
    timeoutChart(s),
  ].filter((c): c is Chart => c !== null);
}
