import { availableParallelism } from 'node:os';
import { ImgscanError } from '../errors.js';
import { type Db, num } from '../store/duckdb.js';
import { boundName, pfooLower } from './bounds.js';
import { type Future, FutureBuilder } from './future.js';
import { LruSweep } from './lru-sweep.js';
import { ThreadedLruSweep } from './lru-threads.js';
import { defaultLatency, type LatencyModel } from './latency.js';
import { defaultPolicyParams, type PolicyParams, policies } from './policies/index.js';
import { defaultPrefetchMaxLayers } from './prefetch.js';
import { cacheableSql, internObjects, opBlobGet, opInvalidate, opManifestGet, replayedSql, type RequestColumns, streamColumns } from './requests.js';
import { Replayer, type SimConfig, type SimResult } from './simulate.js';
import { allSources, openTrace, selectSource, traceSources } from './store.js';

/**
 * `trace simulate`: reads the stored trace once, replays it through every policy at every cache size (and
 * prefetching at every timeout); src/report/trace-simulation makes the report of the summary.
 */
export interface SimulateOptions {
  dataDir: string;
  /** Registered policy names, plus "prefetch" for prefetching on top of `prefetchPolicy` and "pfoo-l" for the upper bound. */
  policies: string[];
  /** Cache sizes in bytes; default fractions of the footprint (`defaultSizeFractions`). */
  sizes?: number[];
  /** Prefetch timeouts in seconds. */
  prefetchTimeouts: number[];
  prefetchPolicy?: string;
  /** Layers remembered per repository for prefetching. */
  prefetchMaxLayers?: number;
  params?: PolicyParams;
  latency?: LatencyModel;
  /** Warm-up in seconds from the trace's first request: replayed through every cache, not counted. */
  warmup?: number;
  /** LRU's cache sizes on two threads (`ThreadedLruSweep`); by default when the trace is long (`threadedLruFrom`). */
  lruThreads?: boolean;
  /** After each batch: requests read so far and in all (cacheable and invalidating), response bytes of the batch. */
  onProgress?: (requestsDone: number, requestsTotal: number, bytes: number) => void;
}

export interface SimulateSummary {
  data_dir: string;
  /** Requests in the trace, all kinds. */
  requests: number;
  /** Successful GETs of blobs and manifests, the requests a cache serves. */
  cacheable: number;
  invalidations: number;
  out_of_order: number;
  /** Cacheable manifest GETs (prefetching on manifest GET needs them). */
  manifest_gets: number;
  /** Distinct cacheable objects and the sum of their largest response sizes. */
  objects: number;
  footprint_bytes: number;
  first: string | null;
  last: string | null;
  sizes: number[];
  prefetch_policy: string;
  prefetch_timeouts: number[];
  prefetch_max_layers: number;
  /** Seconds from the first request replayed but not counted (0: none). */
  warmup_s: number;
  params: PolicyParams;
  latency: LatencyModel;
  results: SimResult[];
  /** With several sources (availability zones): each replayed alone, at the same sizes, in source order. */
  per_source: SourcePass[];
}

export const defaultSizeFractions = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1];
export const prefetchName = 'prefetch';
/** Prefetching started by the first layer miss of a pull that follows a manifest GET (LCPA-style). */
export const prefetchMissName = 'prefetch-miss';
const prefetchNames = [prefetchName, prefetchMissName];

/** Refuses unknown policies and prefetching into an offline policy before anything is read. */
function checkPolicies(options: SimulateOptions, prefetchPolicy: string): void {
  for (const p of [...options.policies, prefetchPolicy]) {
    if (!prefetchNames.includes(p) && p !== boundName && !policies[p]) {
      throw new ImgscanError('USAGE', `unknown cache policy ${p} (known: ${[...Object.keys(policies), boundName, ...prefetchNames].join(', ')})`);
    }
  }
  if (options.policies.length === 0) throw new ImgscanError('USAGE', 'no cache policy to simulate');
  if (prefetchNames.some((n) => options.policies.includes(n)) && (policies[prefetchPolicy]?.offline || prefetchPolicy === boundName)) {
    throw new ImgscanError('USAGE', `prefetching goes into an online policy, not ${prefetchPolicy}`);
  }
}

function simConfigs(options: SimulateOptions, prefetchPolicy: string, sizes: number[]): SimConfig[] {
  const configs: SimConfig[] = [];
  for (const policy of options.policies) {
    if (prefetchNames.includes(policy) || policy === boundName) continue;
    for (const capacity of sizes) configs.push({ policy, capacity });
  }
  for (const [name, trigger] of [[prefetchName, 'manifest'], [prefetchMissName, 'layer-miss']] as const) {
    if (!options.policies.includes(name)) continue;
    if (options.prefetchTimeouts.length === 0) throw new ImgscanError('USAGE', 'prefetching needs at least one timeout');
    for (const timeout of options.prefetchTimeouts) for (const capacity of sizes) configs.push({ policy: prefetchPolicy, capacity, prefetchTimeout: timeout, prefetchTrigger: trigger });
  }
  return configs;
}

/** True when an offline bound is asked for: it needs the future, a first pass over the requests. */
function needsFuture(options: SimulateOptions): boolean {
  return options.policies.some((p) => p === boundName || policies[p]?.offline);
}

/** The footprint of the trace (distinct cacheable objects, their largest sizes summed) and the cache sizes to sweep. */
export async function sweepSizes(db: Db, sizes?: number[]): Promise<{ objects: number; footprint: number; sizes: number[] }> {
  const [fp] = await db.all(`
    SELECT count(*) AS objects, coalesce(sum(size), 0) AS footprint
    FROM (SELECT object_key, max(coalesce(response_size, 0)) AS size FROM trace_requests WHERE ${cacheableSql} GROUP BY object_key)`);
  const footprint = num(fp.footprint);
  return { objects: num(fp.objects), footprint, sizes: sweptSizes(footprint, sizes) };
}

/** The cache sizes of a sweep: those given, or fractions of the footprint; each once, in ascending order. */
function sweptSizes(footprint: number, sizes?: number[]): number[] {
  return [...new Set(sizes ?? defaultSizeFractions.map((f) => Math.max(1, Math.round(footprint * f))))].sort((a, b) => a - b);
}

/** What one replay of the requests the `trace_requests` view holds gives (every source, or one). */
interface Pass {
  cacheable: number;
  invalidations: number;
  out_of_order: number;
  manifest_gets: number;
  results: SimResult[];
}

interface PassContext {
  options: SimulateOptions;
  sizes: number[];
  prefetchPolicy: string;
  params: PolicyParams;
  latency: LatencyModel;
  warmupUntil: number | undefined;
  /** Object numbers (`internObjects`). */
  objects: number;
  /** Requests the replay reads (all sources), to size the future's arrays once. */
  replayed: number;
  /** Requests read so far and in all the passes, for progress. */
  progress: { done: number; total: number };
}

/** Counts of a pass, taken from the typed columns (as `Replayer` counts them). */
function countBatch(pass: Pass, batch: RequestColumns, last: { time: number }): void {
  for (let i = 0; i < batch.length; i++) {
    const t = batch.time[i];
    if (t < last.time) pass.out_of_order++;
    else last.time = t;
    const op = batch.op[i];
    if (op === opBlobGet || op === opManifestGet) pass.cacheable++;
    if (op === opManifestGet) pass.manifest_gets++;
    else if (op === opInvalidate) pass.invalidations++;
  }
}

/** Streams the view's requests as typed columns (with the rows as objects when `rows`), reporting progress. */
async function* batches(db: Db, c: PassContext, rows: boolean): AsyncGenerator<RequestColumns> {
  for await (const batch of streamColumns(db, rows)) {
    yield batch;
    c.progress.done += batch.length;
    let bytes = 0;
    for (let i = 0; i < batch.length; i++) bytes += batch.size[i];
    c.options.onProgress?.(c.progress.done, c.progress.total, bytes);
  }
}

/** The first pass for the bounds: the future, and the cacheable requests of the warm-up (the bound counts the hits after them). */
async function futurePass(db: Db, c: PassContext): Promise<{ future: Future; warming: number }> {
  const builder = new FutureBuilder(c.replayed);
  let warming = 0;
  for await (const batch of batches(db, c, false)) {
    builder.addColumns(batch, c.objects);
    if (c.warmupUntil === undefined) continue;
    for (let i = 0; i < batch.length; i++) if ((batch.op[i] === opBlobGet || batch.op[i] === opManifestGet) && batch.time[i] < c.warmupUntil) warming++;
  }
  return { future: builder.finish(), warming };
}

/**
 * Replays the requests of the `trace_requests` view through every config, and the bounds when asked for. LRU
 * without prefetching runs on the typed columns (`LruSweep`, every size in one pass); the other policies and
 * prefetching take the requests as objects (`Replayer`), in the same pass.
 */
async function replayPass(db: Db, c: PassContext): Promise<Pass> {
  const { options, sizes, latency, warmupUntil } = c;
  const first = needsFuture(options) ? await futurePass(db, c) : undefined;
  const configs = simConfigs(options, c.prefetchPolicy, sizes);
  const fast = configs.filter((x) => x.policy === 'lru' && x.prefetchTimeout === undefined);
  const others = configs.filter((x) => !fast.includes(x));
  const lru = lruSweep(c, fast.map((x) => x.capacity));
  const replayOptions = { params: c.params, latency, prefetchMaxLayers: options.prefetchMaxLayers, future: first?.future, warmupUntil };
  const replayer = others.length ? new Replayer(others, replayOptions) : undefined;
  const pass: Pass = { cacheable: 0, invalidations: 0, out_of_order: 0, manifest_gets: 0, results: [] };
  const last = { time: -Infinity };
  let lruResults: SimResult[] = [];
  try {
    for await (const batch of batches(db, c, replayer !== undefined)) {
      countBatch(pass, batch, last);
      await lru?.push(batch);
      if (replayer) for (const r of batch.rows!) replayer.push(r);
    }
    lruResults = (await lru?.finish()) ?? [];
  } finally {
    if (lru instanceof ThreadedLruSweep) await lru.close();
  }
  const results = [...lruResults, ...(replayer?.finish().results ?? [])];
  const bounds = options.policies.includes(boundName) && first ? pfooLower(first.future, sizes, latency, first.warming) : [];
  return { ...pass, results: orderResults(options.policies, [...inConfigOrder(configs, results), ...bounds]) };
}

/** Requests replayed from which LRU at several sizes runs on two threads (below, starting a worker costs more than it saves). */
export const threadedLruFrom = 1 << 20;

/** The LRU sweep of a pass, on two threads for a long trace with several sizes. */
function lruSweep(c: PassContext, capacities: number[]): LruSweep | ThreadedLruSweep | undefined {
  if (capacities.length === 0) return undefined;
  const threaded = capacities.length > 1 && (c.options.lruThreads ?? (c.replayed >= threadedLruFrom && availableParallelism() > 1));
  return threaded ? new ThreadedLruSweep(c.objects, capacities, c.latency, c.warmupUntil) : new LruSweep(c.objects, capacities, c.latency, c.warmupUntil);
}

/** Results in the order of their configs (the LRU sweep's and the replayer's were made apart). */
function inConfigOrder(configs: SimConfig[], results: SimResult[]): SimResult[] {
  const key = (policy: string, capacity: number, timeout: number | null, trigger: string | null) => `${policy}|${capacity}|${timeout}|${trigger}`;
  const byKey = new Map(results.map((r) => [key(r.policy, r.cache_size, r.prefetch_timeout, r.prefetch_trigger), r]));
  return configs.map((x) => byKey.get(key(x.policy, x.capacity, x.prefetchTimeout ?? null, x.prefetchTimeout === undefined ? null : (x.prefetchTrigger ?? 'manifest')))!);
}

export async function simulateTrace(options: SimulateOptions): Promise<SimulateSummary> {
  const params = options.params ?? defaultPolicyParams;
  const latency = options.latency ?? defaultLatency;
  const prefetchPolicy = options.prefetchPolicy ?? 'lru';
  checkPolicies(options, prefetchPolicy);
  const db = await openTrace(options.dataDir);
  try {
    // The objects numbered for the replay, and in the same scan the footprint (as sweepSizes measures it), the
    // number of requests and the first and last times.
    const interned = await internObjects(db, allSources);
    const { objects, footprint } = interned;
    const sizes = sweptSizes(footprint, options.sizes);
    const sources = await traceSources(db);
    // Progress counts the requests read: over both passes when the bounds need the first, and again per source.
    const total = interned.replayed * (needsFuture(options) ? 2 : 1) * (sources.length > 1 ? 2 : 1);
    const warmupUntil = options.warmup ? Number(interned.firstMs) + options.warmup * 1000 : undefined;
    const context: PassContext = { options, sizes, prefetchPolicy, params, latency, warmupUntil, objects: interned.numbers, replayed: interned.replayed, progress: { done: 0, total } };
    const all = await replayPass(db, context);
    const per_source: SourcePass[] = [];
    if (sources.length > 1) {
      for (const source of sources) {
        await selectSource(db, source);
        per_source.push({ source, ...(await replayPass(db, context)) });
      }
    }
    return {
      data_dir: options.dataDir,
      requests: interned.requests,
      ...all,
      objects,
      footprint_bytes: footprint,
      first: interned.first,
      last: interned.last,
      sizes,
      prefetch_policy: prefetchPolicy,
      prefetch_timeouts: prefetchNames.some((n) => options.policies.includes(n)) ? options.prefetchTimeouts : [],
      prefetch_max_layers: options.prefetchMaxLayers ?? defaultPrefetchMaxLayers,
      warmup_s: options.warmup ?? 0,
      params,
      latency,
      per_source,
    };
  } finally {
    db.close();
  }
}

/** One source replayed alone: its counts and results at the same sizes as the whole trace. */
export type SourcePass = Pass & { source: string };

/** Results in the order the policies were given (prefetching where "prefetch" stands). */
function orderResults(names: readonly string[], results: SimResult[]): SimResult[] {
  const rank = (r: SimResult) => {
    const i = names.indexOf(r.prefetch_timeout === null ? r.policy : prefetchName);
    return i < 0 ? names.length : i;
  };
  return results.map((r, i) => ({ r, i })).sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i).map((x) => x.r);
}
