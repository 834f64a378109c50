import { formatBytes } from '../../format/text.js';
import type { SimResult } from '../../trace/simulate.js';
import type { SimulateSummary } from '../../trace/sweep.js';
import { type LineSeries, lineChart } from '../svg.js';

/** The charts of simulate.md: each metric against cache size per policy, and hit ratio against prefetch timeout. */
export function simulationCharts(s: SimulateSummary): Record<string, string> {
  const charts: Record<string, string> = {
    'hit-ratio.svg': metricChart('Hit ratio vs cache size', 'Hit ratio', (r) => r.hit_ratio, s.results),
    'byte-hit-ratio.svg': metricChart('Byte hit ratio vs cache size', 'Byte hit ratio', (r) => r.byte_hit_ratio, s.results),
    'latency-saved.svg': metricChart('Latency saved vs cache size', 'Share of backend latency saved', (r) => r.latency_saved_ratio, s.results),
  };
  const prefetched = s.results.filter((r) => r.prefetch_timeout !== null);
  if (prefetched.length && s.prefetch_timeouts.length > 1) charts['prefetch-timeout.svg'] = timeoutChart(s, prefetched);
  return charts;
}

/**
 * One line per policy label: the metric at each total capacity, the bytes the cache holds (for two-level, memory
 * and disk tiers together: plotted at its memory size it would seem to get more from less).
 */
function metricChart(title: string, yLabel: string, metric: (r: SimResult) => number, results: SimResult[]): string {
  const groups = new Map<string, [number, number][]>();
  for (const r of results) {
    const name = r.disk_size === null ? r.label : `${r.label} (memory + disk)`;
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name)!.push([r.cache_size + (r.disk_size ?? 0), metric(r)]);
  }
  const lines: LineSeries[] = [...groups].map(([name, points]) => ({ name, points: points.sort((a, b) => a[0] - b[0]) }));
  return lineChart({
    title,
    x: { label: 'Cache capacity (all tiers)', unit: 'bytes, log scale', log: true, format: 'bytes' },
    y: { label: yLabel, unit: '%', format: 'percent', min: 0, max: 1 },
    series: lines,
  });
}

/** One line per cache size and trigger: the hit ratio with prefetching at each timeout. */
function timeoutChart(s: SimulateSummary, prefetched: SimResult[]): string {
  const bySize = new Map<string, [number, number][]>();
  for (const r of prefetched) {
    const name = `cache ${formatBytes(r.cache_size)}${r.prefetch_trigger === 'layer-miss' ? ', on layer miss' : ''}`;
    if (!bySize.has(name)) bySize.set(name, []);
    bySize.get(name)!.push([r.prefetch_timeout!, r.hit_ratio]);
  }
  return lineChart({
    title: `Prefetching: hit ratio vs timeout (${s.prefetch_policy})`,
    x: { label: 'Prefetch timeout', unit: 'log scale', log: true, format: 'seconds' },
    y: { label: 'Hit ratio', unit: '%', format: 'percent', min: 0, max: 1 },
    series: [...bySize].map(([name, points]) => ({ name, points: points.sort((a, b) => a[0] - b[0]) })),
  });
}
