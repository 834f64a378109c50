import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { ImgscanCommand } from './_base.js';
import { formatScanSummary } from '../src/cli/scan-summary.js';
import { fail } from './_fail.js';
import { scanProgress } from '../src/cli/scan-progress.js';
import { scanSources, type ScanSummary } from '../src/pipeline/scan.js';
import { acceptedForms } from '../src/ref/ref.js';
import { openLocalSource } from '../src/sources/open.js';
import { DatasetWriter } from '../src/store/writer.js';
import { chunkingFrom } from '../src/cli/chunking.js';
import { sampleRateFrom } from '../src/cli/sample-rate.js';
import { chunkingFlags, inflaterFlags, sampleFlags } from './_flags.js';
import { resolveInflater, type InflaterChoice } from '../src/layers/decompress.js';
import { ExitStatus } from '../src/cli/exit-status.js';

export default class Scan extends ImgscanCommand {
  static override summary = 'Stream local images into a Parquet dataset.';
  static override description = `Reads every layer of the given images once (layers already in the dataset are skipped), hashes each file with BLAKE3 and writes images, layers and files as Parquet under --data.\n\nSources: ${acceptedForms.slice(0, 2).join(', ')}`;
  static override examples = ['<%= config.bin %> scan oci:./layout:1.0', '<%= config.bin %> scan docker-archive:image.tar --data ./data --json'];
  static override strict = false;
  static override enableJsonFlag = true;
  static override args = {
    source: Args.string({ description: `one or more images to scan: ${acceptedForms.slice(0, 2).join(', ')}` }),
  };
  static override flags = {
    data: Flags.string({ description: 'dataset directory', default: 'imgscan-data' }),
    workers: Flags.integer({ description: 'worker threads scanning layers (0: scan on the main thread)', min: 0, default: availableParallelism() }),
    'keep-going': Flags.boolean({ description: 'record a failing image in the failures table and go on' }),
    'commit-rows': Flags.integer({ description: 'publish a batch once this many rows are staged', default: 250_000, min: 1, hidden: true }),
    'staging-memory': Flags.string({ description: 'memory staged rows may take before they spill under --data (a DuckDB size, e.g. 48MB)', hidden: true }),
    ...chunkingFlags,
    ...sampleFlags,
    ...inflaterFlags,
  };

  async run(): Promise<ScanSummary & { schema_version: 1 }> {
    const { argv, flags } = await this.parse(Scan);
    if (argv.length === 0) this.error(`give at least one source: ${acceptedForms.slice(0, 2).join(', ')}`, { exit: ExitStatus.usage });
    let progress: ReturnType<typeof scanProgress> | undefined;
    let writer: DatasetWriter | undefined;
    try {
      const sources = (argv as string[]).map((a) => openLocalSource(a));
      const chunking = chunkingFrom(flags);
      const sampleRate = sampleRateFrom(flags);
      const inflater = resolveInflater(flags.inflater as InflaterChoice);
      // Started once sources and flags are known to be good: a usage error prints no progress line.
      progress = scanProgress(!this.jsonEnabled());
      writer = await DatasetWriter.open(resolve(flags.data), { stagingMemory: flags['staging-memory'] });
      const summary = await scanSources(sources, writer, { workers: flags.workers, keepGoing: flags['keep-going'], chunking, sampleRate, inflater, commitRows: flags['commit-rows'], progress: progress.hooks });
      progress.stop();
      if (!this.jsonEnabled()) this.log(formatScanSummary(summary, resolve(flags.data)));
      if (summary.failures > 0) process.exitCode = ExitStatus.partial;
      return { schema_version: 1, ...summary };
    } catch (err) {
      progress?.stop();
      return fail(this, err);
    } finally {
      writer?.close();
    }
  }
}

