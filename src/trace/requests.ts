import type { Db } from '../store/duckdb.js';
import type { Kind } from './uri.js';

/**
 * The requests the cache simulator replays, read from `trace_requests` in timestamp order.
 *
 * A request is *cacheable* when it is a successful GET (status 2xx but 206, or no status recorded) of a blob or
 * a manifest: those are served from a cache on a hit. A partial answer (206, a Range request) is not: its
 * size is not the object's. A successful PUT or DELETE of a manifest invalidates the cached manifest; a failed
 * one changes nothing, and a blob DELETE unlinks the blob from one repository only, while the cache keys blobs
 * by digest (a later GET of it in that repository fails, and is not cacheable). Everything else passes by.
 */
export interface SimRequest {
  /** Milliseconds since the epoch. */
  time: number;
  method: string;
  kind: Kind;
  /** `object_key`: the cache key. */
  key: string;
  /** `response_size`, bytes (0 when not recorded). */
  size: number;
  status: number | null;
  repository: string | null;
  client: string | null;
}

/** SQL condition for cacheable requests; keep in step with `isCacheable` (upload endpoints are left out by `replayedSql`). */
export const cacheableSql = "method = 'GET' AND endpoint IN ('blob', 'manifest') AND object_key IS NOT NULL AND (status IS NULL OR (status BETWEEN 200 AND 299 AND status <> 206))";

const succeeded = (status: number | null) => status === null || (status >= 200 && status <= 299);

export function isCacheable(r: Pick<SimRequest, 'method' | 'kind' | 'key' | 'status'>): boolean {
  return r.method === 'GET' && (r.kind === 'blob' || r.kind === 'manifest') && r.key !== null && succeeded(r.status) && r.status !== 206;
}

/** True when the request changed or deleted the object, so caches must drop it. */
export function isInvalidation(r: Pick<SimRequest, 'method' | 'kind' | 'status'>): boolean {
  return (r.method === 'PUT' || r.method === 'DELETE') && r.kind === 'manifest' && succeeded(r.status);
}

/** SQL condition for the requests `streamRequests` reads: cacheable ones and possible invalidations. */
export const replayedSql = "object_key IS NOT NULL AND method IN ('GET', 'PUT', 'DELETE') AND endpoint <> 'blob_upload'";

/** Streams the requests that matter to a cache (cacheable or invalidating), in timestamp order, in batches. */
export async function* streamRequests(db: Db): AsyncGenerator<SimRequest[]> {
  const result = await db.connection.stream(`
    SELECT epoch_us(timestamp) / 1000.0 AS time, method, kind, object_key, coalesce(response_size, 0)::DOUBLE AS size,
           status, repository, client
    FROM trace_requests
    WHERE ${replayedSql}
    ORDER BY timestamp, source, file, record_index`);
  for await (const chunk of result) {
    const cols = chunk.getColumns();
    const n = chunk.rowCount;
    const batch: SimRequest[] = new Array(n);
    for (let i = 0; i < n; i++) {
      batch[i] = {
        time: cols[0][i] as number,
        method: cols[1][i] as string,
        kind: cols[2][i] as Kind,
        key: cols[3][i] as string,
        size: cols[4][i] as number,
        status: cols[5][i] as number | null,
        repository: cols[6][i] as string | null,
        client: cols[7][i] as string | null,
      };
    }
    yield batch;
  }
}
