import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { ImgscanCommand } from '../_base.js';
import { fail } from '../_fail.js';
import { analyzeTrace, type TraceAnalysis } from '../../src/trace/analysis/analyze.js';
import { parseDuration } from '../../src/format/parse.js';
import { formatPercent } from '../../src/format/text.js';
import { traceWorkloadReport } from '../../src/report/trace-workload/index.js';
import { chartScripts, writeReport } from '../../src/report/write.js';

/** The analysis, where its report went and the paths written (analyze.md first). */
export type TraceAnalyzeResult = TraceAnalysis & { schema_version: 1; out_dir: string; files: string[] };

export default class TraceAnalyze extends ImgscanCommand {
  static override summary = 'Characterize an ingested registry trace: request mix, sizes, rate, popularity, re-access, clients.';
  static override description = `Reads the trace_requests table under --data and writes analyze.md with SVG charts, analyze.html (the same report, interactive) and one CSV per table into --out:
request mix (method x kind, endpoints, status codes), response size CDF, request rate over time, popularity skew (share of requests to the top 1% / 10% of objects, Zipf exponent fit), re-access distance, and the activity of clients and repositories.`;
  static override examples = ['<%= config.bin %> trace analyze', '<%= config.bin %> trace analyze --data ./imgscan-trace --out ./report --bucket 1m --json'];
  static override enableJsonFlag = true;
  static override flags = {
    data: Flags.string({ description: 'trace data directory written by `trace ingest`', default: 'imgscan-trace' }),
    out: Flags.string({ description: 'report directory', default: 'imgscan-report/trace' }),
    bucket: Flags.string({ description: 'request-rate bucket width, e.g. 10s, 1m, 1h (default: about 200 buckets)' }),
    top: Flags.integer({ description: 'rows in the top clients and repositories tables', default: 10, min: 0 }),
  };

  async run(): Promise<TraceAnalyzeResult> {
    const { flags } = await this.parse(TraceAnalyze);
    try {
      const outDir = resolve(flags.out);
      const analysis = await analyzeTrace({
        dataDir: resolve(flags.data),
        bucketSeconds: flags.bucket === undefined ? undefined : parseDuration(flags.bucket),
        top: flags.top,
      });
      const files = writeReport(outDir, await traceWorkloadReport(analysis, chartScripts()));
      const { data_dir, ...figures } = analysis;
      const a = { schema_version: 1 as const, data_dir, out_dir: outDir, ...figures, files };
      this.log(formatSummary(a));
      return a;
    } catch (err) {
      return fail(this, err);
    }
  }
}

function formatSummary(a: TraceAnalyzeResult): string {
  const o = a.overview;
  const p = a.popularity;
  return [
    `requests: ${o.requests} (${o.cacheable} cacheable) from ${o.first} to ${o.last}`,
    `mix: ${a.mix.map((m) => `${m.method} ${m.kind} ${formatPercent(m.share)}`).join(', ')}`,
    `objects: ${p.objects}; top 1% get ${formatPercent(p.top1_share)} of requests, top 10% ${formatPercent(p.top10_share)}; Zipf alpha ${p.zipf_alpha.toFixed(3)} (r2 ${p.zipf_r2.toFixed(3)})`,
    `clients: ${a.clients.count}; repositories: ${a.repositories.count}; peak rate ${a.rate.peak_rps.toFixed(2)} req/s (${a.rate.bucket_s} s buckets)`,
    `report: ${a.files[0]}`,
  ].join('\n');
}
