import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { ImgscanCommand } from './_base.js';
import { parseSize } from '../src/format/parse.js';
import { fail } from './_fail.js';
import { ExitStatus } from '../src/cli/exit-status.js';
import { analyzeDataset } from '../src/analysis/analyze.js';
import { checkImage } from '../src/analysis/image-check.js';
import { parseThresholds } from '../src/analysis/thresholds.js';
import { parseFormats } from '../src/report/redundancy/formats.js';
import { redundancyReport } from '../src/report/redundancy/index.js';
import { formatAnalysis, formatImageCheck } from '../src/report/redundancy/text.js';
import { chartScripts, writeReport } from '../src/report/write.js';
import type { Summary } from '../src/analysis/types.js';
import type { ImageCheck } from '../src/analysis/image-check.js';

/** What `analyze --json` prints (schemas/analyze.schema.json): timings only with --timings, as they differ run to run. */
export type AnalyzeResult =
  | { schema_version: 1; summary: Summary; files: string[]; seconds?: { queries: number; report: number; steps: Record<string, number> } }
  | (ImageCheck & { schema_version: 1 });

export default class Analyze extends ImgscanCommand {
  static override summary = 'Measure redundancy in a scanned dataset: layers, files, chunks, images, storage designs.';
  static override description = `Reads every Parquet part under --data (runs and shards) and writes into --out report.md with SVG charts beside it, report.html (the same report with interactive charts and sortable tables, one self-contained file), csv/ (one file per table) and summary.json. Every figure is defined in docs/analyze.md.

With --image REF, prints one image's content waste, path waste (as dive) and image_efficiency instead; the threshold flags then make it a CI gate: the command exits with ${ExitStatus.gateFailed} when an image crosses one.`;
  static override examples = [
    '<%= config.bin %> analyze --data ./imgscan-data --out ./report',
    '<%= config.bin %> analyze --data shard-0 --data shard-1 --format md,json',
    '<%= config.bin %> analyze --image oci:./layout:1.0 --min-efficiency 0.95 --max-content-waste 20MB',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    data: Flags.string({ description: 'dataset directory (repeat for shards)', default: ['imgscan-data'], multiple: true }),
    out: Flags.string({ description: 'report directory', default: 'imgscan-report' }),
    format: Flags.string({ description: 'report files to write: md (report.md and SVG charts), html (report.html), csv, json (summary.json)', default: 'md,html,csv,json' }),
    memory: Flags.string({ description: 'memory the database may use before it spills to a temporary directory (e.g. 1.5GiB, 4GB)', default: '1.5GiB' }),
    top: Flags.integer({ description: 'rows in the top-N tables (and wasted paths listed with --image)', default: 20, min: 0 }),
    timings: Flags.boolean({ description: 'with --json: also give the seconds the queries (each step) and the report took' }),
    image: Flags.string({ description: 'analyze one image: a manifest digest, a ref as the report prints it, or a scan reference' }),
    'min-efficiency': Flags.string({ description: 'with --image: fail below this image_efficiency (e.g. 0.95 or 95%)', dependsOn: ['image'] }),
    'max-path-waste': Flags.string({ description: 'with --image: fail above this path_waste (e.g. 20MB)', dependsOn: ['image'] }),
    'max-path-waste-fraction': Flags.string({ description: 'with --image: fail above this path_waste / files_size', dependsOn: ['image'] }),
    'max-content-waste': Flags.string({ description: 'with --image: fail above this content_waste (e.g. 20MB)', dependsOn: ['image'] }),
    'max-content-waste-fraction': Flags.string({ description: 'with --image: fail above this content_waste / files_size', dependsOn: ['image'] }),
  };

  async run(): Promise<AnalyzeResult> {
    const { flags } = await this.parse(Analyze);
    const dataDirs = flags.data.map((d) => resolve(d));
    try {
      if (flags.image !== undefined) {
        const check = await checkImage({ dataDirs, ref: flags.image, thresholds: parseThresholds(flags), top: flags.top });
        if (!this.jsonEnabled()) this.log(formatImageCheck(check));
        if (!check.passed) process.exitCode = ExitStatus.gateFailed;
        return { schema_version: 1, ...check };
      }
      const outDir = resolve(flags.out);
      const formats = parseFormats(flags.format);
      const a = await analyzeDataset({ dataDirs, top: flags.top, memory: parseSize(flags.memory) });
      const queried = performance.now();
      const files = writeReport(outDir, await redundancyReport(a.summary, a.images, formats, chartScripts()));
      const seconds = { queries: a.seconds.queries, report: (performance.now() - queried) / 1000, steps: a.seconds.steps };
      if (!this.jsonEnabled()) this.log(formatAnalysis(a.summary, files, outDir));
      return { schema_version: 1, summary: a.summary, files, ...(flags.timings ? { seconds } : {}) };
    } catch (err) {
      return fail(this, err);
    }
  }
}
