import { formatBytes, formatPercent } from '../../format/text.js';
import { boundDescription, boundName } from '../../trace/bounds.js';
import { policies } from '../../trace/policies/index.js';
import type { SimResult } from '../../trace/simulate.js';
import type { SimulateSummary } from '../../trace/sweep.js';
import { type MdCell, mdHeading, mdTable } from '../markdown.js';
import { type Chart, chartLink } from '../chart.js';

/**
 * simulate.md: parameters, tables of hit ratio, byte hit ratio and latency saved per cache size and policy
 * (POLICYNAMES, prefetching aside), each with its chart of CHARTS, prefetching and two-level tiers when simulated,
 * and the list of the other FILES.
 */
export function simulationMarkdown(s: SimulateSummary, policyNames: string[], charts: readonly Chart[], files: readonly string[]): string {
  return [
    ...traceSection(s),
    ...latencySection(s),
    ...policySection(s, policyNames),
    ...metricSections(s, charts),
    ...sourceSection(s),
    ...boundSection(s),
    ...prefetchSection(s, charts),
    ...twoLevelSection(s),
    mdHeading(2, 'Files'),
    ...files.map((f) => `- [${f}](${f})`),
    '',
  ].join('\n');
}

function traceSection(s: SimulateSummary): string[] {
  return [
    mdHeading(1, 'Cache simulation of a registry trace'),
    `Trace in \`${s.data_dir}\`: ${s.requests} requests from ${s.first ?? '-'} to ${s.last ?? '-'} (UTC); ` +
      `${s.cacheable} cacheable (successful GETs of blobs and manifests), ${s.invalidations} invalidations (successful manifest PUT or DELETE; a blob DELETE unlinks the blob from one repository and invalidates nothing).`,
    '',
    `Footprint: ${s.objects} distinct objects, ${formatBytes(s.footprint_bytes)} (${s.footprint_bytes} bytes). ` +
      'Blobs are keyed by digest, so a layer pulled through several repositories is one object. Cache sizes swept: ' +
      `${s.sizes.map(formatBytes).join(', ')}.`,
    s.out_of_order ? `\nWarning: ${s.out_of_order} requests were out of timestamp order.\n` : '',
    s.warmup_s ? `\nWarm-up: the first ${s.warmup_s} s of the trace went through every cache but are not counted in any figure below (prefetch counters aside).\n` : '',
  ];
}

function latencySection(s: SimulateSummary): string[] {
  const L = s.latency;
  return [
    mdHeading(2, 'Latency model'),
    'Serving an object costs a fixed time per request plus a time per MiB; a miss is served by the backend. ' +
      'Latency saved = backend cost of every cacheable request minus the cost with the cache.',
    '',
    mdTable(
      ['tier', { header: 'per request (ms)', align: 'right' }, { header: 'per MiB (ms)', align: 'right' }],
      [
        ['memory', L.memory_ms, L.memory_ms_per_mib],
        ['disk', L.disk_ms, L.disk_ms_per_mib],
        ['backend', L.backend_ms, L.backend_ms_per_mib],
      ],
    ),
  ];
}

function policySection(s: SimulateSummary, policyNames: string[]): string[] {
  const triggers = new Set(s.results.map((r) => r.prefetch_trigger).filter((t) => t !== null));
  const params = `timeouts ${s.prefetch_timeouts.join(', ')} s; the ${s.prefetch_max_layers} layers last fetched per repository`;
  const prefetch = [
    ...(triggers.has('manifest') ? [[`${s.prefetch_policy}+prefetch`, 'on manifest GET, load the layers seen before for the repository that the client has not pulled', params]] : []),
    ...(triggers.has('layer-miss') ? [[`${s.prefetch_policy}+prefetch-miss`, 'on the first layer miss of a pull after a manifest GET, load the same layers (none for a manifest GET no layer follows)', params]] : []),
  ];
  return [
    mdHeading(2, 'Policies'),
    mdTable(['policy', 'description', 'parameters'], [...policyNames.map((name) => [name, describe(name), parameters(name, s)]), ...prefetch]),
    policyNames.includes('two-level') ? `For two-level, the cache size is the memory tier; the disk tier is ${s.params.disk_ratio} times larger.\n` : '',
  ];
}

function describe(name: string): string {
  return name === boundName ? boundDescription : (policies[name]?.description ?? '');
}

function parameters(name: string, s: SimulateSummary): string {
  const p = s.params;
  if (name === 'rcache') return `objects <= ${formatBytes(p.rcache_max_object)}, admitted on request ${p.rcache_min_requests}`;
  if (name === 'two-level') return `memory for objects <= ${formatBytes(p.two_level_max_object)}, disk ${p.disk_ratio}x memory`;
  return '';
}

/** Hit ratio, byte hit ratio and latency saved: one row per cache size, one column per policy label. */
function metricSections(s: SimulateSummary, charts: readonly Chart[]): string[] {
  const labels = [...new Set(s.results.map((r) => r.label))];
  const bySize = (metric: (r: SimResult) => string) =>
    mdTable(
      [{ header: 'cache_size', align: 'right' }, ...labels.map((l) => ({ header: l, align: 'right' as const }))],
      s.sizes.map((size) => [formatBytes(size), ...labels.map((l) => cell(s.results.find((r) => r.label === l && r.cache_size === size), metric))]),
    );
  return [
    mdHeading(2, 'Hit ratio'),
    chartLink(charts, 'hit-ratio.svg'),
    bySize((r) => formatPercent(r.hit_ratio)),
    mdHeading(2, 'Byte hit ratio'),
    chartLink(charts, 'byte-hit-ratio.svg'),
    bySize((r) => formatPercent(r.byte_hit_ratio)),
    mdHeading(2, 'Latency saved'),
    'Share of the backend latency saved, and seconds saved in parentheses.',
    '',
    chartLink(charts, 'latency-saved.svg'),
    bySize((r) => `${formatPercent(r.latency_saved_ratio)} (${r.latency_saved_s.toFixed(1)} s)`),
    ...dipNotes(s),
  ];
}

/** With several sources: each replayed alone, its hit ratio and byte hit ratio per size and policy. */
function sourceSection(s: SimulateSummary): string[] {
  if (s.per_source.length < 2) return [];
  const labels = [...new Set(s.results.map((r) => r.label))];
  const table = (metric: (r: SimResult) => number) =>
    mdTable(
      ['source', { header: 'cache_size', align: 'right' }, ...labels.map((l) => ({ header: l, align: 'right' as const }))],
      [...s.per_source, { source: 'all', results: s.results }].flatMap((p) =>
        s.sizes.map((size) => [p.source, formatBytes(size), ...labels.map((l) => cell(p.results.find((r) => r.label === l && r.cache_size === size), (r) => formatPercent(metric(r))))]),
      ),
    );
  return [
    mdHeading(2, 'Sources side by side'),
    `Each source (availability zone) replayed alone through caches of the same sizes, and all together (${s.per_source.map((p) => `${p.source}: ${p.cacheable} cacheable`).join(', ')}).`,
    '',
    mdHeading(3, 'Hit ratio'),
    table((r) => r.hit_ratio),
    mdHeading(3, 'Byte hit ratio'),
    table((r) => r.byte_hit_ratio),
  ];
}

/**
 * Where a curve falls as the cache grows. With objects of one size LRU is a stack algorithm (a larger cache
 * holds what a smaller one holds) and cannot; with sizes in bytes it, like the others, can: a larger cache
 * admits or keeps a large object that a smaller one refuses or evicts, and loses the small ones it displaces.
 */
export function dipNotes(s: SimulateSummary): string[] {
  const dips: string[] = [];
  for (const label of new Set(s.results.map((r) => r.label))) {
    const rows = s.results.filter((r) => r.label === label).sort((a, b) => a.cache_size - b.cache_size);
    for (const [name, metric] of [['hit ratio', (r: SimResult) => r.hit_ratio], ['byte hit ratio', (r: SimResult) => r.byte_hit_ratio]] as const) {
      for (let i = 1; i < rows.length; i++) {
        const [a, b] = [rows[i - 1]!, rows[i]!];
        if (metric(b) < metric(a)) dips.push(`${label}: ${name} ${formatPercent(metric(a))} at ${formatBytes(a.cache_size)}, ${formatPercent(metric(b))} at ${formatBytes(b.cache_size)}`);
      }
    }
  }
  if (dips.length === 0) return [];
  return [
    '',
    '**Not monotone in the cache size.** These curves dip as the cache grows: objects have sizes in bytes, so no policy here is a stack ' +
      'algorithm (a larger cache can admit or keep a large object that a smaller one refuses or evicts, and lose the small ones it displaces).',
    '',
    ...dips.map((d) => `- ${d}`),
    '',
  ];
}

/**
 * How far each policy is from the best possible: points below the pfoo-l upper bound at the same size, for hit
 * ratio and byte hit ratio, with what opt (Belady-Size) and the bound guarantee.
 */
function boundSection(s: SimulateSummary): string[] {
  const bound = (size: number) => s.results.find((r) => r.policy === boundName && r.cache_size === size);
  if (!s.sizes.some(bound)) return [];
  const labels = [...new Set(s.results.filter((r) => r.policy !== boundName).map((r) => r.label))];
  const gap = (metric: (r: SimResult) => number) =>
    mdTable(
      [{ header: 'cache_size', align: 'right' }, ...labels.map((l) => ({ header: l, align: 'right' as const }))],
      s.sizes.map((size) => {
        const b = bound(size);
        return [formatBytes(size), ...labels.map((l) => cell(s.results.find((r) => r.label === l && r.cache_size === size), (r) => (b ? points(metric(b) - metric(r)) : '')))];
      }),
    );
  const twoLevel = labels.includes('two-level')
    ? ` Two-level holds a disk tier ${s.params.disk_ratio} times its cache size beside it, so it can go above the bound of its memory size.`
    : '';
  const prefetch = s.prefetch_timeouts.length ? ' Prefetching loads layers before they are requested, so it too can go above the bound.' : '';
  return [
    mdHeading(2, 'Distance from the best possible'),
    `\`${boundName}\` is an upper bound: no cache of that size, online or offline, gets a higher hit ratio, byte hit ratio ` +
      'or latency saved on this trace (PFOO-L of Berger et al., SIGMETRICS 2018). `opt` (Belady, furthest in future) is an offline ' +
      'schedule: optimal for objects of one size, and for objects of different sizes the Belady-Size heuristic, at or below the ' +
      'optimum. The best possible lies between the two, for caches that admit an object when it is requested. ' +
      `Each cell is how many percentage points a policy is below the bound.${twoLevel}${prefetch}`,
    '',
    mdHeading(3, 'Hit ratio: points below the bound'),
    gap((r) => r.hit_ratio),
    mdHeading(3, 'Byte hit ratio: points below the bound'),
    gap((r) => r.byte_hit_ratio),
  ];
}

function points(x: number): string {
  return `${(x * 100).toFixed(1)} pp`;
}

function cell(r: SimResult | undefined, metric: (r: SimResult) => string): MdCell {
  return r ? metric(r) : '';
}

function prefetchSection(s: SimulateSummary, charts: readonly Chart[]): string[] {
  const prefetched = s.results.filter((r) => r.prefetch_timeout !== null);
  if (!prefetched.length) return [];
  return [
    mdHeading(2, 'Prefetching'),
    s.manifest_gets === 0
      ? 'The trace has no successful manifest GET: prefetching on manifest GET is never triggered, so every prefetch figure below is 0.\n'
      : 'Every prefetch ends as used (`prefetch_hits`), dropped at its timeout (`prefetch_expired`), evicted by the cache before its first request (`prefetch_evicted`), or still waiting when the trace ends (`prefetch_pending`).\n',
    chartLink(charts, 'prefetch-timeout.svg'),
    mdTable(
      ['cache_size', 'prefetch_trigger', 'prefetch_timeout', 'hit_ratio', 'prefetches', 'prefetch_hits', 'accuracy', 'prefetch_bytes', 'prefetch_expired', 'prefetch_evicted', 'prefetch_pending'],
      prefetched.map((r) => [
        formatBytes(r.cache_size),
        r.prefetch_trigger ?? '',
        `${r.prefetch_timeout} s`,
        formatPercent(r.hit_ratio),
        r.prefetches,
        r.prefetch_hits,
        r.prefetches ? formatPercent(r.prefetch_hits / r.prefetches) : '',
        formatBytes(r.prefetch_bytes),
        r.prefetch_expired,
        r.prefetch_evicted,
        r.prefetch_pending,
      ]),
    ),
  ];
}

function twoLevelSection(s: SimulateSummary): string[] {
  const twoLevel = s.results.filter((r) => r.policy === 'two-level' && r.prefetch_timeout === null);
  if (!twoLevel.length) return [];
  return [
    mdHeading(2, 'Two-level cache tiers'),
    mdTable(
      ['cache_size', 'disk_size', 'memory_hits', 'disk_hits', 'hit_ratio'],
      twoLevel.map((r) => [formatBytes(r.cache_size), formatBytes(r.disk_size ?? 0), r.memory_hits, r.disk_hits, formatPercent(r.hit_ratio)]),
    ),
  ];
}
