import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { ImgscanError, withContext } from '../errors.js';
import { type InvalidRecord, readTraceFile, type TraceFormat } from './read.js';
import { TraceWriter } from './store.js';

/** Reads trace files (JSON arrays or CSV) and writes their requests as `trace_requests` Parquet parts. */
export interface IngestOptions {
  /** Output data directory (DATA/trace_requests/*.parquet). */
  dataDir: string;
  /** Skip records with bad fields instead of stopping (they are counted and the first few reported). */
  skipInvalid?: boolean;
  /** Rows per Parquet part. */
  partRows?: number;
  onProgress?: (p: IngestProgress) => void;
}

export interface IngestProgress {
  file: string;
  filesDone: number;
  files: number;
  records: number;
  bytes: number;
  totalBytes: number;
}

export interface IngestedFile {
  path: string;
  source: string;
  format: TraceFormat;
  bytes: number;
  records: number;
  invalid: number;
  parts: number;
}

export interface IngestSummary {
  dataDir: string;
  files: IngestedFile[];
  records: number;
  invalid: number;
  bytes: number;
  seconds: number;
  /** The first bad records skipped with --skip-invalid. */
  problems: InvalidRecord[];
}

const progressEvery = 20_000;
const keepProblems = 20;

export async function ingestTraces(paths: string[], options: IngestOptions): Promise<IngestSummary> {
  if (paths.length === 0) throw new ImgscanError('USAGE', 'no trace files given');
  const sources = new Map<string, string>();
  const sizes: number[] = [];
  for (const p of paths) {
    const source = basename(p);
    const other = sources.get(source);
    if (other !== undefined && resolve(other) !== resolve(p)) {
      throw new ImgscanError('USAGE', `${other} and ${p} share the source name ${source}; ingest them in separate data directories`);
    }
    sources.set(source, p);
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      throw new ImgscanError('SOURCE_NOT_FOUND', `cannot read trace file: ${(err as Error).message}`, { path: p }, { cause: err });
    }
    if (!st.isFile()) throw new ImgscanError('SOURCE_NOT_FOUND', 'cannot read trace file: not a regular file', { path: p });
    sizes.push(st.size);
  }
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const started = Date.now();
  const summary: IngestSummary = { dataDir: options.dataDir, files: [], records: 0, invalid: 0, bytes: 0, seconds: 0, problems: [] };
  const writer = await TraceWriter.open(options.dataDir, { partRows: options.partRows });
  try {
    for (const [i, path] of paths.entries()) {
      const file: IngestedFile = { path, source: basename(path), format: 'csv', bytes: 0, records: 0, invalid: 0, parts: 0 };
      const report = () =>
        options.onProgress?.({ file: path, filesDone: i, files: paths.length, records: summary.records + file.records, bytes: summary.bytes + file.bytes, totalBytes });
      writer.beginSource(file.source);
      try {
        const rows = readTraceFile(path, {
          source: file.source,
          onBytes: (n) => (file.bytes += n),
          onFormat: (f) => (file.format = f),
          onInvalid: options.skipInvalid
            ? (problem) => {
                file.invalid++;
                if (summary.problems.length < keepProblems) summary.problems.push(problem);
              }
            : undefined,
        });
        for await (const row of rows) {
          await writer.add(row);
          if (++file.records % progressEvery === 0) report();
        }
        file.parts = (await writer.endSource()).length;
      } catch (err) {
        writer.abortSource();
        throw withContext(err, { path }, 'TRACE_INVALID');
      }
      summary.files.push(file);
      summary.records += file.records;
      summary.invalid += file.invalid;
      summary.bytes += file.bytes;
      report();
    }
  } finally {
    writer.close();
  }
  summary.seconds = (Date.now() - started) / 1000;
  options.onProgress?.({ file: '', filesDone: paths.length, files: paths.length, records: summary.records, bytes: summary.bytes, totalBytes });
  return summary;
}
