import type { Summary } from '../../analysis/types.js';
import { formatBytesExact } from '../../format/text.js';
import { mdHeading, mdTable } from '../markdown.js';
import { columns } from './columns.js';

/** Section 5's traffic part: what pulls and updates move under each design, and DupHunter's restore work. */
export function trafficSection(s: Summary): string[] {
  const t = s.traffic;
  const bytes = (n: number | null) => (n === null ? '' : formatBytesExact(n));
  const updates = t.designs[0]?.updates ?? 0;
  return [
    mdHeading(3, 'Pull and update traffic'),
    'What a client fetches: for each image from nothing (pull), and for each version of a repository when it holds the version before (update; versions ordered by ' +
      'the config\'s created, images without it left out). layer_dedup moves compressed layer blobs (measured); file_dedup and chunk_dedup move the distinct contents ' +
      'or chunks not already held: uncompressed, and compressed as estimated (each design\'s gzip -6 share of its bytes in the compression sample).',
    '',
    mdTable(
      columns(['design', 'chunker', 'measure', 'pulls', 'pull_bytes_median', 'pull_bytes_p90', 'pull_bytes_total', 'updates', 'update_bytes_median', 'update_bytes_p90', 'update_bytes_total']),
      t.designs.map((d) => [d.design, d.chunker ?? '', !d.compressed ? 'uncompressed' : d.estimated ? 'compressed (estimated)' : 'compressed', d.pulls, bytes(d.pull_bytes_median), bytes(d.pull_bytes_p90), bytes(d.pull_bytes_total), d.updates, bytes(d.update_bytes_median), bytes(d.update_bytes_p90), bytes(d.update_bytes_total)]),
    ),
    ...(updates === 0 ? ['No update pairs: no repository has two versions with a created time.\n'] : []),
    'Restore work under file_dedup (DupHunter): the layers the registry rebuilds from their files, re-tars and recompresses to serve them.',
    '',
    mdTable(
      columns(['kind', 'count', 'layers_total', 'tar_bytes_median', 'tar_bytes_p90', 'tar_bytes_total', 'files_total']),
      t.restore.map((r) => [r.kind, r.count, r.layers_total, bytes(r.tar_bytes_median), bytes(r.tar_bytes_p90), bytes(r.tar_bytes_total), r.files_total]),
    ),
  ];
}
