import { formatBytes } from '../../format/text.js';
import type { Fast18Row } from '../../trace/fast18.js';
import type { Fast18PrefetchCounts } from '../../trace/fast18-prefetch.js';
import { toCsvObjects } from '../csv.js';
import { type HtmlScripts, htmlReport } from '../html.js';
import { mdHeading, mdTable } from '../markdown.js';

/** What `trace simulate --model fast18` shows: the FAST'18 player's counts, as it printed them, and corrected. */
export interface Fast18Report {
  data_dir: string;
  sizes: number[];
  rows: Fast18Row[];
  /** Its prefetching simulation (prefetch.py), whose timeouts are off: one result. */
  prefetch: Fast18PrefetchCounts;
}

/** fast18.md and fast18.csv: per memory size and disk ratio, the player's figures and the corrected ones. */
/** fast18.md, fast18.html (the same sections as one page, its tables sortable) and fast18.csv. */
export function fast18Report(r: Fast18Report, scripts: HtmlScripts): Record<string, string> {
  const md = [
    mdHeading(1, "The FAST'18 trace player's cache simulation"),
    `Trace in \`${r.data_dir}\`, replayed as the player of the IBM registry study replays it (docs/trace.md, "The FAST'18 player's model"): ` +
      'GETs and PUTs of manifest or blob URIs that wrote bytes, whatever their status, manifests left out, objects keyed by the last URI segment; ' +
      'a memory LRU for objects under 100 MiB over a disk LRU 10, 15 and 20 times larger; hits and misses counted once each tier first evicts. ' +
      '`lmu` is the memory tier, `h` both tiers. Rows marked `player` keep its defect (a promoted object\'s old entries stay in the disk ' +
      "tier's eviction list and can evict it early when it comes back); `corrected` rows ignore those entries.",
    '',
    mdTable(
      ['memory_size', { header: 'disk_ratio', align: 'right' }, 'run', { header: 'lmu_hits', align: 'right' }, { header: 'lmu_misses', align: 'right' }, { header: 'h_hits', align: 'right' }, { header: 'h_misses', align: 'right' }],
      r.rows.map((x) => [formatBytes(x.memory_size), x.disk_ratio, x.faithful ? 'player' : 'corrected', x.lmu_hits, x.lmu_misses, x.h_hits, x.h_misses]),
    ),
    '',
    mdHeading(2, 'Its prefetching'),
    "As the player's prefetch.py runs (its timeouts are off, so its sixteen timeout pairs give one result): layers recorded from PUTs, " +
      "prefetched on a manifest GET of the repository (its first two URI segments) for a client that has not had them, and a layer GET " +
      'counting a hit for every prefetched layer within 1000 bytes of its size. hits_per_prefetch is its printed ratio, hits / (good + bad).',
    '',
    mdTable(
      ['hits', 'misses', 'good_prefetches', 'bad_prefetches', 'hits_per_prefetch', 'max_prefetched_bytes', 'puts', 'manifest_gets', 'layer_gets'].map((h) => ({ header: h, align: 'right' as const })),
      [[r.prefetch.hits, r.prefetch.misses, r.prefetch.good_prefetches, r.prefetch.bad_prefetches, r.prefetch.hits_per_prefetch === null ? '' : r.prefetch.hits_per_prefetch.toFixed(3), formatBytes(r.prefetch.max_prefetched_bytes), r.prefetch.puts, r.prefetch.manifest_gets, r.prefetch.layer_gets]],
    ),
    '',
  ].join('\n');
  const csv = toCsvObjects(r.rows.map(({ counts, ...x }) => ({ ...x, ...counts })));
  return { 'fast18.md': md, 'fast18.html': htmlReport(md, [], scripts), 'fast18.csv': csv };
}
