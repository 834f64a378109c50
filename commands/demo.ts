import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { ImgscanCommand } from './_base.js';
import { fail } from './_fail.js';
import { scanProgress } from '../src/cli/scan-progress.js';
import { analyzeDataset } from '../src/analysis/analyze.js';
import { buildDemoLayout } from '../src/demo/demo.js';
import { reportFormats } from '../src/report/redundancy/formats.js';
import { redundancyReport } from '../src/report/redundancy/index.js';
import { chartScripts, writeReport } from '../src/report/write.js';
import { scanSources, type ScanSummary } from '../src/pipeline/scan.js';
import { OciLayoutSource } from '../src/sources/oci-layout.js';
import { DatasetWriter } from '../src/store/writer.js';
import { ImgscanError } from '../src/errors.js';
import { parseChunking } from '../src/cli/chunking.js';

const demoChunking = 'fastcdc:16k,fixed:1m,rollsum:64k';

export default class Demo extends ImgscanCommand {
  static override summary = 'Build a small demo image layout from local files, scan it, and say where the output is.';
  static override description = 'Needs no registry and no network: the images are made from files of this machine.';
  static override enableJsonFlag = true;
  static override flags = {
    dir: Flags.string({ description: 'where to put the layout, the dataset and the report (a new directory, or one an earlier demo wrote: its layout, data and report are replaced)', default: 'imgscan-demo' }),
  };

  async run(): Promise<{ schema_version: 1; layout: string; data: string; report: string; scan: ScanSummary }> {
    const { flags } = await this.parse(Demo);
    const dir = resolve(flags.dir);
    const layout = join(dir, 'layout');
    const data = join(dir, 'data');
    const report = join(dir, 'report');
    let progress: ReturnType<typeof scanProgress> | undefined;
    let writer: DatasetWriter | undefined;
    try {
      // A demo run replaces what an earlier one wrote, and nothing else: a directory holding other files is refused.
      const others = existsSync(dir) ? readdirSync(dir).filter((n) => !['layout', 'data', 'report'].includes(n)) : [];
      if (others.length > 0) {
        throw new ImgscanError('USAGE', `${dir} holds other files (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''}): give --dir a new or earlier demo directory`);
      }
      for (const part of [layout, data, report]) rmSync(part, { recursive: true, force: true });
      const tags = await buildDemoLayout(layout);
      if (!this.jsonEnabled()) this.log(`built OCI layout ${layout} with tags ${tags.join(', ')}`);
      // Started after the build: its rate and elapsed time are the scan's.
      // The demo is small: every content is compressed (--sample-rate 1), so its compressed figures are exact, and
      // three chunkers run side by side (--chunking fastcdc:16k,fixed:1m,rollsum:64k).
      progress = scanProgress(!this.jsonEnabled());
      writer = await DatasetWriter.open(data);
      const scan = await scanSources([new OciLayoutSource(layout, undefined)], writer, { workers: 2, sampleRate: 1, chunking: parseChunking(demoChunking), progress: progress.hooks });
      progress.stop();
      writer.close();
      writer = undefined;
      if (!this.jsonEnabled()) this.log(`scanned ${scan.images} images, ${scan.layers_read} layers, ${scan.files} files into ${data}`);
      const analysis = await analyzeDataset({ dataDirs: [data] });
      writeReport(report, await redundancyReport(analysis.summary, analysis.images, reportFormats, chartScripts()));
      if (!this.jsonEnabled()) {
        const f = analysis.summary.file;
        this.log(`file_dedup_ratio ${f.file_dedup_ratio.toFixed(2)}, layer_dedup_ratio ${analysis.summary.layer.layer_dedup_ratio.toFixed(2)}`);
        this.log(`report: ${join(report, 'report.md')} (charts, report.html, csv/ and summary.json beside it)`);
      }
      return { schema_version: 1, layout, data, report, scan };
    } catch (err) {
      progress?.stop();
      return fail(this, err);
    } finally {
      writer?.close();
    }
  }
}
