import type { AnalysisDb } from './db.js';
import { dedupRatio, fraction, savings } from './figures.js';
import type { FileClassFigures, FileFigures, FileRedundancy, FileSizeBucket, TopFile } from './types.js';

interface ClassRow {
  file_class: string | null;
  is_total: boolean;
  files_total: number;
  file_bytes_total: number;
  files_distinct: number;
  file_bytes_distinct: number;
  singleton_files: number;
  layer_copies: number;
  layer_copy_bytes: number;
}

/** The docs/metrics.md file-level figures from the counts of file_classes.sql. */
export function redundancy(r: ClassRow): FileRedundancy {
  const ratio = dedupRatio(r.file_bytes_total, r.file_bytes_distinct);
  return {
    files_total: r.files_total,
    files_distinct: r.files_distinct,
    singleton_files: r.singleton_files,
    distinct_file_fraction: fraction(r.files_distinct, r.files_total),
    singleton_file_fraction: fraction(r.singleton_files, r.files_total),
    file_bytes_total: r.file_bytes_total,
    file_bytes_distinct: r.file_bytes_distinct,
    file_dedup_ratio: ratio,
    file_dedup_savings: savings(ratio),
    intra_layer: r.files_total - r.layer_copies,
    cross_layer: r.layer_copies - r.files_distinct,
    intra_layer_bytes: r.file_bytes_total - r.layer_copy_bytes,
    cross_layer_bytes: r.layer_copy_bytes - r.file_bytes_distinct,
  };
}

const empty: ClassRow = { file_class: null, is_total: true, files_total: 0, file_bytes_total: 0, files_distinct: 0, file_bytes_distinct: 0, singleton_files: 0, layer_copies: 0, layer_copy_bytes: 0 };

/** Section 3: file-level redundancy over unique layers, by class, file sizes and the costliest duplicates. */
export async function fileFigures(a: AnalysisDb, top: number): Promise<FileFigures> {
  const rows = await a.query<ClassRow>('file_classes');
  const total = rows.find((r) => r.is_total) ?? empty;
  const byClass: FileClassFigures[] = rows
    .filter((r) => !r.is_total)
    .map((r) => ({ file_class: r.file_class ?? 'unknown', ...redundancy(r), bytes_share: fraction(r.file_bytes_total, total.file_bytes_total) }))
    .sort((x, y) => y.file_bytes_total - x.file_bytes_total || x.file_class.localeCompare(y.file_class));
  return {
    ...redundancy(total),
    by_class: byClass,
    size_buckets: await a.query<FileSizeBucket>('file_sizes'),
    top_duplicates: await topFiles(a, top),
  };
}

/** The costliest duplicated contents with the paths of their copies: chosen in SQL, their copies read by content key. */
async function topFiles(a: AnalysisDb, top: number): Promise<TopFile[]> {
  if (top <= 0) return [];
  const chosen = await a.query<{ content_id: number; h: string }>('top_contents', { top });
  if (chosen.length === 0) return [];
  return a.query<TopFile>('top_files', { top, chosen: chosen.map((c) => c.content_id).join(', '), keys: [...new Set(chosen.map((c) => c.h))].join(', ') });
}
