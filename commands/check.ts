import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { ImgscanCommand } from './_base.js';
import { fail } from './_fail.js';
import { ImgscanError } from '../src/errors.js';
import { ExitStatus } from '../src/cli/exit-status.js';
import { credentialsFrom } from '../src/cli/credentials.js';
import { formatGate } from '../src/cli/gate-lines.js';
import { scanProgress } from '../src/cli/scan-progress.js';
import { checkImage, type ImageCheck, type Thresholds } from '../src/analysis/image-check.js';
import { defaultGateConfig, gateRules, parseGateConfig } from '../src/analysis/gate-config.js';
import { crawl } from '../src/crawl/crawl.js';
import type { Failure } from '../src/model/failure.js';
import { scanSources } from '../src/pipeline/scan.js';
import { parseRef } from '../src/ref/ref.js';
import { openLocalSource, refuseBarePath } from '../src/sources/open.js';
import { DatasetWriter } from '../src/store/writer.js';

/** What `imgscan check --json` prints (schemas/check.schema.json). */
export type CheckResult = { schema_version: 1; image: string; config: string; data_dir: string | null; rules: Thresholds } & Omit<ImageCheck, 'ref'>;

export default class Check extends ImgscanCommand {
  static override summary = 'Scan one image and judge it against the thresholds of a config file: a one-step CI gate.';
  static override description = `IMAGE is anything scan or crawl reads: oci:LAYOUT[:TAG], docker-archive:FILE, docker-daemon:IMAGE or a registry image (registry/repository:tag). It is scanned into a temporary dataset (removed afterwards) or into --data-dir, and each rule of the config file (default ${defaultGateConfig} in the current directory) is checked against it. The rules, under a rules mapping (docs/check.md):

${Object.entries(gateRules)
  .map(([k, v]) => `- ${k}: ${v}`)
  .join('\n')}

Prints one line per rule, PASS or FAIL with the measured value and the threshold. Exit status: 0 when every rule passes, ${ExitStatus.gateFailed} when a rule fails, ${ExitStatus.usage} for a bad flag, argument or config file, ${ExitStatus.error} when the image cannot be scanned.`;
  static override examples = [
    '<%= config.bin %> check oci:./layout:1.0',
    '<%= config.bin %> check docker-archive:image.tar --config ci/imgscan.yml --json',
    '<%= config.bin %> check registry.example.com/team/app:2.1 --username ci --password-stdin < token.txt',
  ];
  static override enableJsonFlag = true;
  static override args = {
    image: Args.string({ description: 'the image: oci:LAYOUT[:TAG], docker-archive:FILE, docker-daemon:IMAGE or registry/repository:tag', required: true }),
  };
  static override flags = {
    config: Flags.string({ description: `the gate's config file (YAML with a rules mapping)`, default: defaultGateConfig, helpValue: 'FILE' }),
    'data-dir': Flags.string({ description: 'scan into this dataset and keep it (default: a temporary one, removed afterwards)', helpValue: 'DIR' }),
    workers: Flags.integer({ description: 'worker threads scanning layers (0: scan on the main thread)', min: 0, default: availableParallelism() }),
    top: Flags.integer({ description: 'wasted paths listed per image in the JSON form', default: 10, min: 0 }),
    username: Flags.string({ description: 'registry user name (or IMGSCAN_USERNAME); ~/.docker/config.json is used otherwise' }),
    'password-stdin': Flags.boolean({ description: 'read the registry password from stdin (or IMGSCAN_PASSWORD)' }),
    insecure: Flags.boolean({ description: 'HTTPS without certificate verification, or plain HTTP for a registry that does not answer HTTPS' }),
  };

  async run(): Promise<CheckResult> {
    const { args, flags } = await this.parse(Check);
    const temp = flags['data-dir'] === undefined ? mkdtempSync(join(tmpdir(), 'imgscan-check-')) : undefined;
    const dataDir = temp ?? resolve(flags['data-dir']!);
    try {
      refuseBarePath(args.image);
      const config = resolve(flags.config);
      const rules = readRules(config, flags.config);
      const ref = parseRef(args.image);
      const credentials = ref.kind === 'registry' ? await credentialsFrom({ username: flags.username, passwordStdin: flags['password-stdin'] }) : {};
      await this.scan(args.image, dataDir, { workers: flags.workers, credentials, insecure: flags.insecure });
      const check = await checkImage({ dataDirs: [dataDir], ref: args.image, thresholds: rules, top: flags.top });
      const { ref: _, ...judged } = check;
      if (!this.jsonEnabled()) this.log(formatGate(check));
      if (!check.passed) process.exitCode = ExitStatus.gateFailed;
      return { schema_version: 1, image: args.image, config, data_dir: temp ? null : dataDir, rules, ...judged };
    } catch (err) {
      return fail(this, err);
    } finally {
      if (temp) rmSync(temp, { recursive: true, force: true });
    }
  }

  /** Scans the image into the dataset: a local source as `scan` does, a registry or daemon image as `crawl` does. */
  private async scan(image: string, dataDir: string, options: { workers: number; credentials: { username?: string; password?: string }; insecure: boolean }): Promise<void> {
    const local = ['oci', 'docker-archive'].includes(parseRef(image).kind);
    const source = local ? openLocalSource(image) : undefined;
    const progress = scanProgress(!this.jsonEnabled());
    const writer = await DatasetWriter.open(dataDir);
    try {
      if (source) {
        await scanSources([source], writer, { workers: options.workers, progress: progress.hooks });
      } else {
        const failures: Failure[] = [];
        await crawl([image], writer, { workers: options.workers, credentials: options.credentials, insecure: options.insecure, progress: progress.hooks, onFailure: (f) => failures.push(f) });
        // A gate judges the whole image: any part of it that could not be read fails the check.
        if (failures.length > 0) throw failures[0].error;
      }
      progress.stop();
    } catch (err) {
      progress.stop(false);
      throw err;
    } finally {
      writer.close();
    }
  }
}

/** The config file's rules; a missing file is a USAGE error saying how to give one. */
function readRules(path: string, given: string): Thresholds {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ImgscanError('USAGE', `${given}: ${missing ? `no such file: write the gate's rules there (rules: { min_image_efficiency: 95%, max_layers: 30 }) or give --config FILE` : (err as Error).message}`);
  }
  return parseGateConfig(text, given);
}
