import { resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { ImgscanCommand } from '../_base.js';
import { fail } from '../_fail.js';
import { Progress } from '../../src/cli/progress.js';
import { formatBytes } from '../../src/format/text.js';
import { ingestTraces, type IngestSummary } from '../../src/trace/ingest.js';

/** What `trace ingest --json` prints (schemas/trace-ingest.schema.json). */
export type TraceIngestResult = Omit<IngestSummary, 'seconds'> & { schema_version: 1; seconds?: number };

export default class TraceIngest extends ImgscanCommand {
  static override summary = 'Read registry trace files (JSON arrays, JSON lines or pandas CSV) into a Parquet table.';
  static override description = `Reads each file with DuckDB (gzip accepted), parses every request URI into repository, kind (manifest, blob, other) and digest or tag, and writes the trace_requests table as Parquet under --data (schemas/trace.sql). Ingesting a file again replaces the rows of the same file name. Every row keeps its source, the availability zone of its trace: --source, or found in the file name (prod-dal09-1.json is prod-dal09).

Accepted forms: a JSON array of records, or JSON lines (one record per line), with the fields host, http.request.duration, http.request.method, http.request.remoteaddr, http.request.uri, http.request.useragent, http.response.status, http.response.written, id, timestamp (the published FAST'18 IBM traces), or a CSV export with those names in its header row (leading index columns are ignored).`;
  static override examples = [
    '<%= config.bin %> trace ingest prod-dal09-1.json prod-dal09-2.json',
    '<%= config.bin %> trace ingest test/data/ibm-dal09-blobs-sample.csv --data ./imgscan-trace --json',
    '<%= config.bin %> trace ingest dal09/*.json.gz --source prod-dal09',
  ];
  static override strict = false;
  static override enableJsonFlag = true;
  static override args = { file: Args.string({ description: 'trace file(s): JSON array, JSON lines or CSV, optionally gzipped', required: true }) };
  static override flags = {
    data: Flags.string({ description: 'trace data directory (Parquet under DATA/trace_requests/)', default: 'imgscan-trace' }),
    'skip-invalid': Flags.boolean({ description: 'skip records with bad fields (counted and reported) instead of stopping at the first' }),
    source: Flags.string({ description: 'the source (availability zone) of the files, stored with every row; default: found in each file name' }),
    timings: Flags.boolean({ description: 'with --json: also give the seconds the ingest took' }),
    'part-rows': Flags.integer({ description: 'about how many rows per Parquet part', default: 500_000, min: 1000, hidden: true }),
  };

  async run(): Promise<TraceIngestResult> {
    const { argv, flags } = await this.parse(TraceIngest);
    let progress: Progress | undefined;
    const show = () => (progress ??= new Progress({ enabled: !this.jsonEnabled() }));
    let bytesShown = 0;
    try {
      const summary = await ingestTraces(argv as string[], {
        dataDir: resolve(flags.data),
        skipInvalid: flags['skip-invalid'],
        source: flags.source,
        partRows: flags['part-rows'],
        onProgress: (p) => {
          const bar = show();
          bar.set('files', p.filesDone, p.files);
          bar.set('records', p.records);
          bar.totalBytes(p.totalBytes);
          bar.addBytes(p.bytes - bytesShown);
          bytesShown = p.bytes;
        },
      });
      progress?.stop();
      this.log(formatSummary(summary));
      // The seconds differ run to run: in the JSON only when asked for.
      const { seconds, ...figures } = summary;
      return { schema_version: 1, ...figures, ...(flags.timings ? { seconds } : {}) };
    } catch (err) {
      progress?.stop();
      return fail(this, err);
    }
  }
}

function formatSummary(s: IngestSummary): string {
  const lines = s.files.map((f) => `${f.path}: ${f.format}, source ${f.source}, ${f.records} records${f.invalid ? `, ${f.invalid} skipped as invalid` : ''}, ${formatBytes(f.bytes)}`);
  const rate = s.seconds > 0 ? `, ${Math.round(s.records / s.seconds)} records/s` : '';
  lines.push(`${s.records} records in ${s.seconds.toFixed(1)} s${rate}; data: ${s.data_dir}`);
  for (const p of s.problems) lines.push(`skipped ${p.path} ${p.location}: ${p.message}`);
  if (s.invalid > s.problems.length) lines.push(`... and ${s.invalid - s.problems.length} more skipped records`);
  return lines.join('\n');
}
