import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { ImgscanCommand } from './_base.js';
import { formatScanSummary } from '../src/cli/scan-summary.js';
import { scanProgress } from '../src/cli/scan-progress.js';
import { chunkingFrom } from '../src/cli/chunking.js';
import { sampleRateFrom } from '../src/cli/sample-rate.js';
import { credentialsFrom } from '../src/cli/credentials.js';
import { withInsecureHint } from '../src/cli/insecure-hint.js';
import { crawl, type CrawlSummary } from '../src/crawl/crawl.js';
import type { Failure } from '../src/model/failure.js';
import { failureLine } from '../src/cli/failure-line.js';
import { heldFailures } from '../src/cli/held-failures.js';
import type { Image } from '../src/sources/types.js';
import { parseDuration, parsePlatforms, parseShard, parseTagSelection, shardTag } from '../src/crawl/options.js';
import { DatasetWriter } from '../src/store/writer.js';
import { fail } from './_fail.js';
import { ExitStatus, exitCodeFor } from '../src/cli/exit-status.js';
import { chunkingFlags, inflaterFlags, sampleFlags } from './_flags.js';
import { resolveInflater, type InflaterChoice } from '../src/layers/decompress.js';
import { parseRef } from '../src/ref/ref.js';

export default class Crawl extends ImgscanCommand {
  static override summary = 'Crawl registries and Docker daemons into a Parquet dataset.';
  static override description = `TARGET is a registry (localhost:5000), a namespace (localhost:5000/team), a repository, an image (repo:tag, repo@sha256:...), docker-daemon:IMAGE, or docker-daemon: for every image of the daemon (DOCKER_HOST is honoured).\n\nEach unique layer is read once; layers and images already in the dataset are skipped, so running the same command again resumes an interrupted crawl. A failing repository, image or layer is recorded in the failures table and the crawl goes on; the exit status is then 3.`;
  static override examples = [
    '<%= config.bin %> crawl localhost:5000 --tags all --platform all',
    '<%= config.bin %> crawl registry.example.com/team --username me --password-stdin < token.txt',
    '<%= config.bin %> crawl localhost:5000 --shard 0/3 --data /shared/imgscan',
    '<%= config.bin %> crawl docker-daemon:',
  ];
  static override strict = false;
  static override enableJsonFlag = true;
  static override args = {
    target: Args.string({ description: 'one or more targets: a registry, namespace, repository, image, docker-daemon:IMAGE or docker-daemon:' }),
  };
  static override flags = {
    data: Flags.string({ description: 'dataset directory', default: 'imgscan-data' }),
    tags: Flags.string({ description: 'tags read per repository: latest, all, newest:N or glob:PATTERN', default: 'latest' }),
    platform: Flags.string({ description: 'platforms taken from indexes: all, or os/arch[/variant] list (default: linux/amd64 when present, else all)' }),
    'max-repositories': Flags.integer({ description: 'at most this many repositories per target (after sharding)', min: 0 }),
    'max-images': Flags.integer({ description: 'at most this many images per target', min: 0 }),
    'manifest-concurrency': Flags.integer({ description: 'manifests fetched at once per repository', default: 4, min: 1 }),
    'blob-concurrency': Flags.integer({ description: 'layers downloaded and scanned at once (default: workers)', min: 1 }),
    workers: Flags.integer({ description: 'worker threads scanning layers (0: scan on the main thread)', min: 0, default: availableParallelism() }),
    shard: Flags.string({ description: 'crawl only shard I of N (repositories split by name hash), e.g. 0/3' }),
    username: Flags.string({ description: 'registry user name (or IMGSCAN_USERNAME); ~/.docker/config.json is used otherwise' }),
    'password-stdin': Flags.boolean({ description: 'read the registry password from stdin (or IMGSCAN_PASSWORD)' }),
    'keep-blobs': Flags.string({ description: 'also keep each downloaded layer blob under DIR/blobs/sha256/ (default: stream, keep nothing)' }),
    insecure: Flags.boolean({ description: 'HTTPS without certificate verification, or plain HTTP for a registry that does not answer HTTPS (as docker insecure-registries, skopeo --tls-verify=false)' }),
    timeout: Flags.string({ description: 'time allowed for one layer download, resumed reads included, and one registry request, retries included: seconds or 90s, 30m, 2h (default: none; a download slower than 64 KiB a minute is given up anyway)' }),
    'all-daemon-images': Flags.boolean({ description: 'every image of the Docker daemon, as docker-daemon: does' }),
    'page-size': Flags.integer({ description: 'page size asked of catalog and tag listings', min: 1, hidden: true }),
    'commit-rows': Flags.integer({ description: 'publish a batch once this many rows are staged', default: 250_000, min: 1, hidden: true }),
    'commit-seconds': Flags.integer({ description: 'publish a batch this many seconds after the last one', default: 30, min: 0, hidden: true }),
    ...chunkingFlags,
    ...sampleFlags,
    ...inflaterFlags,
  };


  async run(): Promise<CrawlSummary & { schema_version: 1 }> {
    const { argv, flags } = await this.parse(Crawl);
    const targets = argv as string[];
    if (targets.length === 0 && !flags['all-daemon-images']) this.error('give at least one target: a registry, namespace, repository, image or docker-daemon:IMAGE', { exit: ExitStatus.usage });
    const json = this.jsonEnabled();
    let progress: ReturnType<typeof scanProgress> | undefined;
    let writer: DatasetWriter | undefined;
    // With --json the failures are in the summary's count and the failures table, not on stderr.
    const failures = heldFailures((f) => (json ? undefined : progress?.print(failureLine(f))));
    try {
      const shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
      const tags = parseTagSelection(flags.tags);
      const platforms = parsePlatforms(flags.platform);
      const timeLimitMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout');
      const credentials = await credentialsFrom({ username: flags.username, passwordStdin: flags['password-stdin'] });
      const chunking = chunkingFrom(flags);
      const sampleRate = sampleRateFrom(flags);
      const inflater = resolveInflater(flags.inflater as InflaterChoice);
      for (const target of targets) parseRef(target);
      // Started once the flags and targets are known to be good: a usage error prints no progress line.
      const display = scanProgress(!json);
      progress = display;
      const options = {
        tags,
        platforms,
        maxRepositories: flags['max-repositories'],
        maxImages: flags['max-images'],
        manifestConcurrency: flags['manifest-concurrency'],
        shard,
        credentials,
        insecure: flags.insecure,
        keepBlobs: flags['keep-blobs'] === undefined ? undefined : resolve(flags['keep-blobs']),
        pageSize: flags['page-size'],
        timeLimitMs,
        allDaemonImages: flags['all-daemon-images'],
        workers: flags.workers,
        layerConcurrency: flags['blob-concurrency'],
        chunking,
        sampleRate,
        inflater,
        commitRows: flags['commit-rows'],
        commitSeconds: flags['commit-seconds'],
        progress: { ...display.hooks, image: (image: Image) => (failures.flush(), display.hooks.image?.(image)) },
        onFailure: (f: Failure) => failures.add(f),
        // Retries are progress news: on stderr above the display, and not at all with --json.
        log: json ? undefined : (line: string) => display.print(`imgscan: ${line}`),
      };
      writer = await DatasetWriter.open(resolve(flags.data), { writerTag: shard ? shardTag(shard) : undefined });
      const summary = await crawl(targets, writer, options);
      failures.flush();
      display.stop();
      if (!json) this.log(formatScanSummary(summary, resolve(flags.data)));
      if (summary.failures > 0) process.exitCode = ExitStatus.partial;
      return { schema_version: 1, ...summary };
    } catch (err) {
      // A crawl that read nothing ends without a last progress line: the error is what matters.
      const printed = failures.settle(err);
      progress?.stop(false);
      if (printed && !json) return this.exit(exitCodeFor(err));
      return fail(this, flags.insecure ? err : withInsecureHint(err));
    } finally {
      writer?.close();
    }
  }
}
