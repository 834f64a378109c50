import { type Db, num } from '../../store/duckdb.js';
import { cacheableSql } from '../requests.js';

/**
 * Typed SQL over the `trace_requests` view. Popularity, sizes and re-access are computed over cacheable
 * requests (successful GETs of blobs and manifests, see ../requests.ts); the request mix, rate and activity
 * over all requests.
 *
 * Quantiles: the p-quantile of n values is the ceil(p*n)-th smallest (the first for p = 0), computed for
 * p = k/steps in integer arithmetic, so it can be checked by hand.
 */
const cacheable = `(SELECT * FROM trace_requests WHERE ${cacheableSql})`;

export interface Overview {
  requests: number;
  cacheable: number;
  first: string | null;
  last: string | null;
  duration_s: number;
  sources: { source: string; requests: number }[];
}

export async function overview(db: Db): Promise<Overview> {
  const [r] = await db.all(`
    SELECT count(*) AS requests, count(*) FILTER (WHERE ${cacheableSql}) AS cacheable,
           strftime(min(timestamp), '%Y-%m-%d %H:%M:%S.%g') AS first, strftime(max(timestamp), '%Y-%m-%d %H:%M:%S.%g') AS last,
           coalesce((epoch_us(max(timestamp)) - epoch_us(min(timestamp))) / 1e6, 0) AS duration_s
    FROM trace_requests`);
  const sources = await db.all<{ source: string; requests: unknown }>(
    'SELECT source, count(*) AS requests FROM trace_requests GROUP BY source ORDER BY source',
  );
  return {
    requests: num(r.requests),
    cacheable: num(r.cacheable),
    first: (r.first as string | null) ?? null,
    last: (r.last as string | null) ?? null,
    duration_s: num(r.duration_s),
    sources: sources.map((s) => ({ source: s.source, requests: num(s.requests) })),
  };
}

export interface MixRow {
  method: string;
  kind: string;
  requests: number;
  bytes: number;
  share: number;
}

/** Requests and response bytes by method and kind (or endpoint), with their share of all requests. */
export async function requestMix(db: Db, by: 'kind' | 'endpoint' = 'kind'): Promise<MixRow[]> {
  const rows = await db.all(`
    SELECT method, ${by} AS kind, count(*) AS requests, coalesce(sum(response_size), 0) AS bytes,
           count(*) / sum(count(*)) OVER () AS share
    FROM trace_requests GROUP BY ALL ORDER BY requests DESC, method, kind`);
  return rows.map((r) => ({ method: r.method as string, kind: r.kind as string, requests: num(r.requests), bytes: num(r.bytes), share: num(r.share) }));
}

export interface StatusRow {
  status: number | null;
  requests: number;
  share: number;
}

export async function statusCodes(db: Db): Promise<StatusRow[]> {
  const rows = await db.all(`
    SELECT status, count(*) AS requests, count(*) / sum(count(*)) OVER () AS share
    FROM trace_requests GROUP BY status ORDER BY requests DESC, status`);
  return rows.map((r) => ({ status: r.status === null ? null : num(r.status), requests: num(r.requests), share: num(r.share) }));
}

/** Quantiles at p = k/steps, k = 0..steps, of `value` over `from`, per group. Null values are left out. */
export async function quantiles(db: Db, from: string, value: string, group = "'all'", steps = 200): Promise<Map<string, number[]>> {
  const rows = await db.all(`
    WITH v AS (SELECT (${group})::VARCHAR AS g, ${value} AS v FROM ${from} WHERE ${value} IS NOT NULL),
         s AS (SELECT g, v, row_number() OVER (PARTITION BY g ORDER BY v) AS rn FROM v),
         c AS (SELECT g, count(*) AS n FROM v GROUP BY g),
         t AS (SELECT g, k, greatest(1, (n * k + ${steps - 1}) // ${steps}) AS rn FROM c, range(0, ${steps + 1}) r(k))
    SELECT t.g, t.k, s.v FROM t JOIN s USING (g, rn) ORDER BY t.g, t.k`);
  const out = new Map<string, number[]>();
  for (const r of rows) {
    const g = r.g as string;
    if (!out.has(g)) out.set(g, []);
    out.get(g)![num(r.k)] = num(r.v);
  }
  return out;
}

export interface SizeStats {
  kind: string;
  requests: number;
  bytes: number;
  mean: number;
  /** Quantiles at p = k/200. */
  quantiles: number[];
}

/** Response sizes of cacheable requests, per kind (blob, manifest). */
export async function responseSizes(db: Db): Promise<SizeStats[]> {
  const q = await quantiles(db, cacheable, 'response_size', 'kind');
  const rows = await db.all(`
    SELECT kind, count(response_size) AS requests, coalesce(sum(response_size), 0) AS bytes, coalesce(avg(response_size), 0) AS mean
    FROM ${cacheable} GROUP BY kind ORDER BY kind`);
  return rows
    .map((r) => ({ kind: r.kind as string, requests: num(r.requests), bytes: num(r.bytes), mean: num(r.mean), quantiles: q.get(r.kind as string) ?? [] }))
    .filter((r) => r.requests > 0);
}

export interface RatePoint {
  /** Bucket start, ms since the epoch. */
  time: number;
  requests: number;
  blob_gets: number;
  manifest_gets: number;
  bytes: number;
}

const niceBuckets = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** A bucket width (seconds) that cuts the span into about `target` buckets. */
export function autoBucket(spanSeconds: number, target = 200): number {
  return niceBuckets.find((b) => spanSeconds / b <= target) ?? Math.ceil(spanSeconds / target / 86400) * 86400;
}

/** Requests per bucket of `bucketSeconds`, empty buckets included. */
export async function requestRate(db: Db, bucketSeconds: number): Promise<RatePoint[]> {
  const ms = Math.max(1, Math.round(bucketSeconds * 1000));
  const rows = await db.all(`
    SELECT epoch_ms(timestamp) // ${ms} AS b, count(*) AS requests,
           count(*) FILTER (WHERE method = 'GET' AND endpoint = 'blob') AS blob_gets,
           count(*) FILTER (WHERE method = 'GET' AND kind = 'manifest') AS manifest_gets,
           coalesce(sum(response_size), 0) AS bytes
    FROM trace_requests GROUP BY b ORDER BY b`);
  if (rows.length === 0) return [];
  const byBucket = new Map(rows.map((r) => [num(r.b), r]));
  const first = num(rows[0].b);
  const last = num(rows[rows.length - 1].b);
  const out: RatePoint[] = [];
  for (let b = first; b <= last; b++) {
    const r = byBucket.get(b);
    out.push({
      time: b * ms,
      requests: r ? num(r.requests) : 0,
      blob_gets: r ? num(r.blob_gets) : 0,
      manifest_gets: r ? num(r.manifest_gets) : 0,
      bytes: r ? num(r.bytes) : 0,
    });
  }
  return out;
}

export interface Popularity {
  objects: number;
  requests: number;
  /** Objects requested exactly once. */
  single_request_objects: number;
  /** Share of requests that go to the most requested 1% (10%) of objects, at least one object. */
  top1_share: number;
  top10_share: number;
  /** Least-squares fit of ln(requests) = c - zipf_alpha * ln(rank) over all objects. */
  zipf_alpha: number;
  /** The fit's c: ln(requests) at rank 1 on the fitted line (the report draws the line from it). */
  zipf_c: number;
  zipf_r2: number;
  /** The hit ratio of an infinite cache: 1 - objects / requests. */
  max_hit_ratio: number;
  /** (rank, requests) at about `points` log-spaced ranks, for the rank-frequency plot. */
  rank_frequency: [number, number][];
}

/** Log-spaced ranks 1..n: every rank up to 10, then about `points` in all. */
export function logRanks(n: number, points = 150): number[] {
  const out = new Set<number>();
  for (let i = 1; i <= Math.min(n, 10); i++) out.add(i);
  for (let i = 0; i <= points; i++) out.add(Math.max(1, Math.round(n ** (i / points))));
  out.add(n);
  return [...out].filter((r) => r >= 1 && r <= n).sort((a, b) => a - b);
}

export async function popularity(db: Db): Promise<Popularity> {
  const ranked = `(
    SELECT n, row_number() OVER (ORDER BY n DESC, object_key) AS rank, count(*) OVER () AS objects
    FROM (SELECT object_key, count(*) AS n FROM ${cacheable} GROUP BY object_key))`;
  const [r] = await db.all(`
    SELECT count(*) AS objects, coalesce(sum(n), 0) AS requests, count(*) FILTER (WHERE n = 1) AS singles,
           coalesce(sum(n) FILTER (WHERE rank <= (objects + 99) // 100), 0) AS top1,
           coalesce(sum(n) FILTER (WHERE rank <= (objects + 9) // 10), 0) AS top10,
           regr_slope(ln(n), ln(rank)) AS slope, regr_intercept(ln(n), ln(rank)) AS intercept, regr_r2(ln(n), ln(rank)) AS r2
    FROM ${ranked}`);
  const objects = num(r.objects);
  const requests = num(r.requests);
  const ranks = logRanks(objects);
  const points = ranks.length
    ? await db.all(`SELECT rank, n FROM ${ranked} WHERE rank IN (${ranks.join(', ')}) ORDER BY rank`)
    : [];
  return {
    objects,
    requests,
    single_request_objects: num(r.singles),
    top1_share: requests ? num(r.top1) / requests : 0,
    top10_share: requests ? num(r.top10) / requests : 0,
    zipf_alpha: r.slope === null ? 0 : -num(r.slope),
    zipf_c: r.intercept === null ? 0 : num(r.intercept),
    zipf_r2: r.r2 === null ? 0 : num(r.r2),
    max_hit_ratio: requests ? 1 - objects / requests : 0,
    rank_frequency: points.map((p) => [num(p.rank), num(p.n)]),
  };
}

export interface Reaccess {
  /** Cacheable requests for an object requested before. */
  reaccesses: number;
  /** Seconds since the previous request for the same object, quantiles at p = k/200. */
  seconds: number[];
  /** Cacheable requests since the previous request for the same object (1 = the one just before), quantiles. */
  requests_between: number[];
}

export async function reaccess(db: Db): Promise<Reaccess> {
  const gaps = `(
    SELECT (epoch_us(timestamp) - lag(epoch_us(timestamp)) OVER w) / 1e6 AS gap_s, seq - lag(seq) OVER w AS gap_n
    FROM (SELECT object_key, timestamp, row_number() OVER (ORDER BY timestamp, source, file, record_index) AS seq FROM ${cacheable})
    WINDOW w AS (PARTITION BY object_key ORDER BY seq))`;
  const [c] = await db.all(`SELECT count(gap_n) AS n FROM ${gaps}`);
  const s = await quantiles(db, gaps, 'gap_s');
  const n = await quantiles(db, gaps, 'gap_n');
  return { reaccesses: num(c.n), seconds: s.get('all') ?? [], requests_between: n.get('all') ?? [] };
}

export interface ActivityRow {
  name: string;
  requests: number;
  bytes: number;
  objects: number;
  /** Distinct repositories (for clients) or clients (for repositories). */
  peers: number;
}

export interface Activity {
  count: number;
  requests: number;
  top1_share: number;
  top10_share: number;
  /** Requests per client (repository): quantiles at p = k/200. */
  per_entity: number[];
  top: ActivityRow[];
}

/** How requests spread over clients (`client`) or repositories (`repository`). */
export async function activity(db: Db, column: 'client' | 'repository', top: number): Promise<Activity> {
  const peer = column === 'client' ? 'repository' : 'client';
  const per = `(
    SELECT ${column} AS name, count(*) AS requests, coalesce(sum(response_size), 0) AS bytes,
           count(DISTINCT object_key) AS objects, count(DISTINCT ${peer}) AS peers
    FROM trace_requests WHERE ${column} IS NOT NULL GROUP BY ${column})`;
  const ranked = `(SELECT *, row_number() OVER (ORDER BY requests DESC, name) AS rank, count(*) OVER () AS total FROM ${per})`;
  const [r] = await db.all(`
    SELECT count(*) AS count, coalesce(sum(requests), 0) AS requests,
           coalesce(sum(requests) FILTER (WHERE rank <= (total + 99) // 100), 0) AS top1,
           coalesce(sum(requests) FILTER (WHERE rank <= (total + 9) // 10), 0) AS top10
    FROM ${ranked}`);
  const rows = await db.all(`SELECT name, requests, bytes, objects, peers FROM ${ranked} WHERE rank <= ${Math.max(0, Math.floor(top))} ORDER BY rank`);
  const q = await quantiles(db, per, 'requests');
  const requests = num(r.requests);
  return {
    count: num(r.count),
    requests,
    top1_share: requests ? num(r.top1) / requests : 0,
    top10_share: requests ? num(r.top10) / requests : 0,
    per_entity: q.get('all') ?? [],
    top: rows.map((x) => ({ name: x.name as string, requests: num(x.requests), bytes: num(x.bytes), objects: num(x.objects), peers: num(x.peers) })),
  };
}
