import { ImgscanError } from '../errors.js';
import type { Future } from './future.js';
import { defaultLatency, type LatencyModel, serveMs } from './latency.js';
import { defaultPolicyParams, type PolicyEntry, type PolicyParams, policies as registered } from './policies/index.js';
import type { CachePolicy } from './policies/policy.js';
import { defaultPrefetchMaxLayers, LayerHistory, Prefetcher, type PrefetchTrigger } from './prefetch.js';
import { isCacheable, isInvalidation, type SimRequest } from './requests.js';

/**
 * The trace player: replays requests in order through many simulated caches at once (one per policy, cache
 * size and prefetch timeout), so the trace is read once whatever the sweep.
 */
export interface SimConfig {
  /** A name registered in ./policies/index.ts. */
  policy: string;
  /** Bytes (the memory tier, for two-level). */
  capacity: number;
  /** Prefetch with this timeout in seconds; no prefetching when undefined. */
  prefetchTimeout?: number;
  /** What starts a prefetch: a manifest GET (default) or the first layer miss of a pull after one. */
  prefetchTrigger?: PrefetchTrigger;
}

export interface SimResult {
  /** e.g. "lru" or "lru+prefetch 600s". */
  label: string;
  policy: string;
  cache_size: number;
  /** Disk tier bytes (two-level only). */
  disk_size: number | null;
  prefetch_timeout: number | null;
  /** 'manifest' or 'layer-miss' for prefetching runs, else null. */
  prefetch_trigger: PrefetchTrigger | null;
  requests: number;
  hits: number;
  hit_ratio: number;
  memory_hits: number;
  disk_hits: number;
  bytes: number;
  hit_bytes: number;
  byte_hit_ratio: number;
  /** Seconds to serve every cacheable request from the backend. */
  backend_latency_s: number;
  /** Seconds with this cache. */
  latency_s: number;
  latency_saved_s: number;
  latency_saved_ratio: number;
  prefetches: number;
  prefetch_bytes: number;
  prefetch_hits: number;
  prefetch_expired: number;
  /** Prefetched objects the cache evicted before their first request. */
  prefetch_evicted: number;
  /** Prefetched objects still waiting for their first request when the trace ended: prefetches = prefetch_hits
   * + prefetch_expired + prefetch_evicted + prefetch_pending. */
  prefetch_pending: number;
}

export interface ReplayOptions {
  params?: PolicyParams;
  latency?: LatencyModel;
  /** The policy registry; default all registered policies. */
  policies?: Record<string, PolicyEntry>;
  /** Prefetching: layers remembered per repository (the most recently fetched). */
  prefetchMaxLayers?: number;
  /** The future of the same requests (`readFuture`), for offline policies such as `opt`. */
  future?: Future;
  /**
   * Warm-up: requests before this time (ms, as SimRequest.time) go through every cache but are not counted in
   * its hits, misses, bytes or latency (prefetch counters count every prefetch).
   */
  warmupUntil?: number;
}

export interface ReplaySummary {
  /** Requests seen (cacheable, invalidating and the rest). */
  requests: number;
  cacheable: number;
  invalidations: number;
  /** Requests out of timestamp order (the player does not reorder). */
  out_of_order: number;
  /** Cacheable manifest GETs: what prefetching on manifest GET is triggered by. */
  manifest_gets: number;
  results: SimResult[];
}

/** The prefetch counters of a run that prefetches nothing (or before it has). */
export const noPrefetches = { prefetches: 0, prefetch_bytes: 0, prefetch_hits: 0, prefetch_expired: 0, prefetch_evicted: 0, prefetch_pending: 0 } as const;

/** The figures of a run before its first request. */
export function emptyResult(config: SimConfig, diskSize: number | null): SimResult {
  const timeout = config.prefetchTimeout;
  const trigger = config.prefetchTrigger ?? 'manifest';
  return {
    label: timeout === undefined ? config.policy : `${config.policy}+prefetch${trigger === 'layer-miss' ? '-miss' : ''} ${timeout}s`,
    policy: config.policy,
    cache_size: config.capacity,
    disk_size: diskSize,
    prefetch_timeout: timeout ?? null,
    prefetch_trigger: timeout === undefined ? null : trigger,
    requests: 0,
    hits: 0,
    hit_ratio: 0,
    memory_hits: 0,
    disk_hits: 0,
    bytes: 0,
    hit_bytes: 0,
    byte_hit_ratio: 0,
    backend_latency_s: 0,
    latency_s: 0,
    latency_saved_s: 0,
    latency_saved_ratio: 0,
    ...noPrefetches,
  };
}

/** Sets the ratios and the latency saved of a run from its counts; returns it. */
export function finishResult(res: SimResult): SimResult {
  res.hit_ratio = res.requests ? res.hits / res.requests : 0;
  res.byte_hit_ratio = res.bytes ? res.hit_bytes / res.bytes : 0;
  res.latency_saved_s = res.backend_latency_s - res.latency_s;
  res.latency_saved_ratio = res.backend_latency_s ? res.latency_saved_s / res.backend_latency_s : 0;
  return res;
}

class Run {
  readonly result: SimResult;
  readonly prefetcher: Prefetcher | undefined;

  constructor(
    readonly policy: CachePolicy,
    config: SimConfig,
    diskSize: number | null,
    private readonly latency: LatencyModel,
  ) {
    const timeout = config.prefetchTimeout;
    this.prefetcher = timeout === undefined ? undefined : new Prefetcher(policy, timeout * 1000, config.prefetchTrigger ?? 'manifest');
    this.result = emptyResult(config, diskSize);
  }

  /** Whether the last request served was a hit. */
  lastHit = false;

  /** Serves a cacheable request; `counted` false for a request of the warm-up (the cache changes, the figures do not). */
  serve(r: SimRequest, counted = true): void {
    this.prefetcher?.expire(r.time);
    const hit = this.policy.access(r.key, r.size);
    this.lastHit = hit;
    this.prefetcher?.requested(r.key, hit);
    if (!counted) return;
    const res = this.result;
    res.requests++;
    res.bytes += r.size;
    res.backend_latency_s += serveMs(this.latency, undefined, r.size) / 1000;
    if (hit) {
      const tier = this.policy.lastHitTier ?? 'memory';
      res.hits++;
      res.hit_bytes += r.size;
      if (tier === 'memory') res.memory_hits++;
      else res.disk_hits++;
      res.latency_s += serveMs(this.latency, tier, r.size) / 1000;
    } else {
      res.latency_s += serveMs(this.latency, undefined, r.size) / 1000;
    }
  }

  finish(): SimResult {
    const res = finishResult(this.result);
    if (this.prefetcher) {
      res.prefetches = this.prefetcher.prefetches;
      res.prefetch_bytes = this.prefetcher.prefetchBytes;
      res.prefetch_hits = this.prefetcher.prefetchHits;
      res.prefetch_expired = this.prefetcher.expired;
      res.prefetch_evicted = this.prefetcher.evicted;
      res.prefetch_pending = this.prefetcher.pendingCount;
    }
    return res;
  }
}

/**
 * Prefetch on a layer miss (LCPA-style): a blob GET that misses, by a client whose last manifest GET was of the
 * same repository, loads that repository's other layers the client has not fetched, once per pull (manifest GET).
 * A client that GETs a manifest and no layer (a check for updates) starts no prefetch.
 */
function prefetchOnMiss(history: LayerHistory, runs: Run[], r: SimRequest): void {
  const pull = history.pullOf(r);
  if (pull === null) return;
  let candidates: ReturnType<LayerHistory['missCandidates']> | undefined;
  for (const run of runs) {
    if (run.lastHit || !run.prefetcher!.firstMissOf(r.client!, pull)) continue;
    candidates ??= history.missCandidates(r);
    if (candidates.length) run.prefetcher!.prefetch(candidates, r.time);
  }
}

/** Replays requests (in timestamp order), pushed one by one, through one simulated cache per config. */
export class Replayer {
  private readonly runs: Run[];
  private readonly onManifest: Run[];
  private readonly onMiss: Run[];
  private readonly history: LayerHistory | undefined;
  private readonly summary: ReplaySummary = { requests: 0, cacheable: 0, invalidations: 0, out_of_order: 0, manifest_gets: 0, results: [] };
  private last = -Infinity;

  constructor(
    private readonly configs: readonly SimConfig[],
    private readonly options: ReplayOptions = {},
  ) {
    const params = options.params ?? defaultPolicyParams;
    const latency = options.latency ?? defaultLatency;
    const registry = options.policies ?? registered;
    this.runs = configs.map((config) => {
      const entry = registry[config.policy];
      if (!entry) throw new ImgscanError('USAGE', `unknown cache policy ${config.policy} (known: ${Object.keys(registry).join(', ')})`);
      if (!(config.capacity >= 0)) throw new ImgscanError('USAGE', `cache size must be a number of bytes >= 0, got ${config.capacity}`);
      if (entry.offline && !options.future) throw new ImgscanError('USAGE', `cache policy ${config.policy} is offline: it needs the future of the trace`);
      if (entry.offline && config.prefetchTimeout !== undefined) throw new ImgscanError('USAGE', `cache policy ${config.policy} is offline: it cannot take prefetches`);
      const policy = entry.create({ capacity: config.capacity, params, future: options.future });
      return new Run(policy, config, config.policy === 'two-level' ? config.capacity * params.disk_ratio : null, latency);
    });
    const prefetching = this.runs.filter((r) => r.prefetcher);
    this.onManifest = prefetching.filter((r) => r.prefetcher!.trigger === 'manifest');
    this.onMiss = prefetching.filter((r) => r.prefetcher!.trigger === 'layer-miss');
    this.history = prefetching.length ? new LayerHistory(options.prefetchMaxLayers ?? defaultPrefetchMaxLayers) : undefined;
  }

  push(r: SimRequest): void {
    const summary = this.summary;
    summary.requests++;
    if (r.time < this.last) summary.out_of_order++;
    else this.last = r.time;
    if (isCacheable(r)) {
      summary.cacheable++;
      if (r.kind === 'manifest') summary.manifest_gets++;
      const counted = this.options.warmupUntil === undefined || r.time >= this.options.warmupUntil;
      for (const run of this.runs) run.serve(r, counted);
      const history = this.history;
      if (history) {
        if (r.kind === 'manifest') {
          const candidates = history.candidates(r);
          if (candidates.length) for (const run of this.onManifest) run.prefetcher!.prefetch(candidates, r.time);
        } else if (this.onMiss.length) prefetchOnMiss(history, this.onMiss, r);
        history.record(r);
      }
    } else if (isInvalidation(r)) {
      summary.invalidations++;
      for (const run of this.runs) run.policy.remove(r.key);
    }
  }

  finish(): ReplaySummary {
    const { future, policies } = this.options;
    const registry = policies ?? registered;
    if (future && future.length !== this.summary.cacheable && this.configs.some((c) => registry[c.policy].offline)) {
      throw new ImgscanError('INTERNAL', `the future holds ${future.length} cacheable requests, the replay saw ${this.summary.cacheable}`);
    }
    this.summary.results = this.runs.map((r) => r.finish());
    return this.summary;
  }
}

/** Replays batches of requests (in timestamp order) through one simulated cache per config. */
export async function replay(
  batches: AsyncIterable<readonly SimRequest[]> | Iterable<readonly SimRequest[]>,
  configs: readonly SimConfig[],
  options: ReplayOptions = {},
): Promise<ReplaySummary> {
  const replayer = new Replayer(configs, options);
  for await (const batch of batches) for (const r of batch) replayer.push(r);
  return replayer.finish();
}
