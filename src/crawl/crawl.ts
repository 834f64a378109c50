import { ImgscanError, withContext } from '../errors.js';
import { scanSources, type ScanOptions, type ScanSummary } from '../pipeline/scan.js';
import { parseRef, type RegistryRef } from '../ref/ref.js';
import { RegistryClient, type CredentialSources } from '../registry/client.js';
import type { PlatformSelection, Shard, TagSelection } from '../registry/select.js';
import { DockerDaemonSource } from '../sources/docker-daemon.js';
import { RegistrySource } from '../sources/registry.js';
import type { Image, Source } from '../sources/types.js';
import { failureRow, type Failure } from '../model/failure.js';
import type { DatasetWriter } from '../store/writer.js';
import { keepingBlobs } from './keep-blobs.js';

export interface CrawlOptions extends Omit<ScanOptions, 'keepGoing'> {
  tags?: TagSelection;
  platforms?: PlatformSelection;
  maxRepositories?: number;
  maxImages?: number;
  manifestConcurrency?: number;
  shard?: Shard;
  /** Credentials for every registry target (flags or environment); docker config is searched otherwise. */
  credentials?: CredentialSources;
  /**
   * For every registry: HTTPS without certificate verification, or plain HTTP when a registry does not answer
   * HTTPS (without it, loopback registries are used over HTTPS when they speak TLS there, else over HTTP).
   */
  insecure?: boolean;
  /** Page size asked of catalog and tag listings. */
  pageSize?: number;
  /** Time allowed for one blob read (resumed reads included) or one request (retries included); 0 or none: no limit. */
  timeLimitMs?: number;
  /** Pages of one listing read before it is refused as endless (default 10 000). */
  maxListPages?: number;
  /** Every image of the Docker daemon, as `docker-daemon:` does. */
  allDaemonImages?: boolean;
  /** Also write each downloaded layer blob to DIR/blobs/sha256/HEX (default: nothing is kept). */
  keepBlobs?: string;
  /** Receives each failure as its row is added: a repository, image, source or layer. */
  onFailure?: (failure: Failure) => void;
  /** Receives one line per retried registry request or resumed blob read, credentials already removed. */
  log?: (line: string) => void;
}

export interface CrawlSummary extends ScanSummary {
  /** Distinct repositories (registry/repository) that yielded at least one image. */
  repositories: number;
  /** Repositories and images that failed before any layer was read (also in `failures`). */
  source_failures: number;
}

/**
 * Crawls registries, namespaces, repositories, images and Docker daemons into the dataset: every failure of a
 * repository or an image is recorded in `failures` and the crawl goes on.
 */
export async function crawl(targets: string[], writer: DatasetWriter, options: CrawlOptions): Promise<CrawlSummary> {
  let sourceFailures = 0;
  let firstFailure: ImgscanError | undefined;
  const onFailure = (f: Failure) => {
    sourceFailures++;
    firstFailure ??= f.error;
    options.onFailure?.(f);
    writer.add('failures', [failureRow(f)]);
  };
  const opened = await openSources(targets, options, onFailure);
  const keep = options.keepBlobs;
  const sources = (keep ? opened.map((s) => keepingBlobs(s, keep)) : opened).map((s) => guarded(s, (err) => onFailure({ scope: 'source', target: s.name, image: null, error: err })));
  const repositories = new Set<string>();
  const progress = options.progress;
  const summary = await scanSources(sources, writer, {
    ...options,
    keepGoing: true,
    progress: {
      ...progress,
      image: (image: Image) => {
        for (const r of image.refs) repositories.add(`${r.registry}/${r.repository}`);
        progress?.image?.(image);
      },
    },
  });
  for (const s of sources) await s.close();
  if (firstFailure && summary.images === 0) {
    // Not one image could be listed (wrong credentials, unreachable daemon, missing image): not a partial crawl.
    throw firstFailure;
  }
  return { ...summary, failures: summary.failures + sourceFailures, repositories: repositories.size, source_failures: sourceFailures };
}

/** A source whose listing errors are reported instead of thrown: the crawl goes on with the next target. */
function guarded(source: Source, report: (err: ImgscanError) => void): Source {
  return {
    name: source.name,
    close: () => source.close(),
    async *images() {
      try {
        yield* source.images();
      } catch (err) {
        report(withContext(err, { source: source.name }, 'REGISTRY_ERROR'));
      }
    },
  };
}

/** One source per registry target, one daemon source for all `docker-daemon:` targets; clients shared by registry. */
async function openSources(targets: string[], o: CrawlOptions, onFailure: (f: Failure) => void): Promise<Source[]> {
  const refs = targets.map((t) => parseRef(t));
  const clients = new Map<string, Promise<RegistryClient>>();
  const daemonImages: string[] = [];
  let allDaemon = o.allDaemonImages ?? false;
  const sources: Source[] = [];
  for (const ref of refs) {
    if (ref.kind === 'docker-daemon') {
      if (ref.image === '') allDaemon = true;
      else daemonImages.push(ref.image);
      continue;
    }
    if (ref.kind !== 'registry') throw new ImgscanError('USAGE', `${ref.kind}:${ref.path} is a local source: use \`imgscan scan\` for it`);
    let client = clients.get(ref.registry);
    if (!client) {
      // Requests in flight per registry: enough for every blob stream and manifest fetch at once.
      const concurrency = Math.max(8, (o.layerConcurrency ?? Math.max(o.workers, 1)) + (o.manifestConcurrency ?? 4));
      client = RegistryClient.create(ref.registry, { credentials: o.credentials, pageSize: o.pageSize, maxListPages: o.maxListPages, concurrency, log: o.log, insecure: o.insecure, timeLimitMs: o.timeLimitMs });
      clients.set(ref.registry, client);
    }
    sources.push(registrySource(ref, await client, o, onFailure));
  }
  if (allDaemon || daemonImages.length > 0) sources.push(new DockerDaemonSource({ images: allDaemon ? [] : daemonImages }));
  return sources;
}

function registrySource(ref: RegistryRef, client: RegistryClient, o: CrawlOptions, onFailure: (f: Failure) => void): RegistrySource {
  return new RegistrySource(ref, {
    client,
    tags: o.tags,
    platforms: o.platforms,
    maxRepositories: o.maxRepositories,
    maxImages: o.maxImages,
    shard: o.shard,
    manifestConcurrency: o.manifestConcurrency,
    onFailure,
  });
}
