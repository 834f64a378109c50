import type { Db } from '../store/duckdb.js';
import type { DuckDBDataChunk } from '@duckdb/node-api';
import { keepAlive } from '../store/chunks.js';
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
  const chunks = db.stream(`
    SELECT epoch_us(timestamp) / 1000.0 AS time, method, kind, object_key, coalesce(response_size, 0)::DOUBLE AS size,
           status, repository, client
    FROM trace_requests
    WHERE ${replayedSql}
    ORDER BY timestamp, source, file, record_index`);
  for await (const chunk of chunks) {
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

/** What a request does to a cache, in `RequestColumns.op`. */
export const opOther = 0;
export const opBlobGet = 1;
export const opManifestGet = 2;
export const opInvalidate = 3;

/**
 * A batch of the requests `streamColumns` reads, one typed array per column, valid until the next batch is
 * asked for (the arrays are reused). Objects are dense integers from 0 (`internObjects`), so a cache keeps its
 * state in arrays indexed by object instead of maps keyed by strings.
 */
export interface RequestColumns {
  length: number;
  /** Milliseconds since the epoch. */
  time: Float64Array;
  /** The object's number (`internObjects`). */
  object: Int32Array;
  /** `response_size`, bytes (0 when not recorded). */
  size: Float64Array;
  /** `opBlobGet` and `opManifestGet` are cacheable, `opInvalidate` a successful manifest PUT or DELETE, `opOther` neither. */
  op: Uint8Array;
  /** The same requests as objects, when asked for: for the policies that key objects by name and for prefetching. */
  rows?: SimRequest[];
}

/**
 * The op of a request of `replayedSql` (SQL, in step with `isCacheable` and `isInvalidation` over those rows: there
 * the method is GET, PUT or DELETE, and the endpoint blob or manifest exactly when the kind is).
 */
const opSql = `(CASE WHEN method = 'GET' THEN (CASE WHEN NOT (status IS NULL OR (status BETWEEN 200 AND 299 AND status <> 206)) THEN ${opOther}
    WHEN endpoint = 'blob' THEN ${opBlobGet} WHEN endpoint = 'manifest' THEN ${opManifestGet} ELSE ${opOther} END)
  WHEN kind = 'manifest' AND (status IS NULL OR status BETWEEN 200 AND 299) THEN ${opInvalidate}
  ELSE ${opOther} END)::UTINYINT`;

/** The table of object numbers: every object key the replay reads, of every source, numbered from 0. */
const objectsTable = 'trace_objects';
/** The trace files in (source, file) order, numbered: the replay sorts ties of time by that number, not by two strings. */
const filesTable = 'trace_files';

/** The objects `internObjects` numbered, and the figures of the whole trace measured in the same scan. */
export interface InternedObjects {
  /** Object numbers: 0 to numbers - 1. */
  numbers: number;
  /** Distinct cacheable objects. */
  objects: number;
  /** Their largest cacheable response sizes, summed: the footprint (as `sweepSizes` measures it). */
  footprint: number;
  /** Requests of every kind, and those the replay reads (`replayedSql`). */
  requests: number;
  replayed: number;
  /** The first request's time in milliseconds since the epoch (null when there is none), and the first and last as text. */
  firstMs: number | null;
  first: string | null;
  last: string | null;
}

/** Per object key (NULL among them): what `internObjects` numbers and sums. */
const keysTable = 'trace_object_keys';

/**
 * Numbers the objects of the trace once (every source, so a per-source pass uses the same numbers), and in the
 * same scan measures the footprint of every source together and counts the requests, with the first and last
 * times (one scan of the Parquet parts instead of two).
 */
export async function internObjects(db: Db, allRequests: string): Promise<InternedObjects> {
  await db.run(`CREATE OR REPLACE TEMP TABLE ${keysTable} AS
    SELECT object_key, count(*) AS requests, count(*) FILTER (WHERE ${replayedSql}) AS replayed, min(timestamp) AS first, max(timestamp) AS last,
      max(coalesce(response_size, 0)) FILTER (WHERE ${cacheableSql}) AS largest
    FROM ${allRequests} GROUP BY object_key`);
  await db.run(`CREATE TEMP TABLE IF NOT EXISTS ${objectsTable} AS
    SELECT object_key, (row_number() OVER () - 1)::INTEGER AS object, largest FROM ${keysTable} WHERE replayed > 0`);
  await db.run(`CREATE TEMP TABLE IF NOT EXISTS ${filesTable} AS
    SELECT source, file, (row_number() OVER (ORDER BY source, file))::INTEGER AS file_rank FROM (SELECT DISTINCT source, file FROM ${allRequests})`);
  const [r] = await db.all<{ n: number; objects: number; footprint: number }>(
    `SELECT count(*)::INTEGER AS n, count(largest)::INTEGER AS objects, coalesce(sum(largest), 0)::DOUBLE AS footprint FROM ${objectsTable}`,
  );
  const [t] = await db.all<{ requests: number; replayed: number; first_ms: number | null; first: string | null; last: string | null }>(`
    SELECT coalesce(sum(requests), 0)::DOUBLE AS requests, coalesce(sum(replayed), 0)::DOUBLE AS replayed, epoch_us(min(first)) / 1000.0 AS first_ms,
      strftime(min(first), '%Y-%m-%d %H:%M:%S.%g') AS first, strftime(max(last), '%Y-%m-%d %H:%M:%S.%g') AS last
    FROM ${keysTable}`);
  await db.run(`DROP TABLE ${keysTable}`);
  return { numbers: r.n, objects: r.objects, footprint: r.footprint, requests: t.requests, replayed: t.replayed, firstMs: t.first_ms, first: t.first, last: t.last };
}

/** Rows per batch `streamColumns` yields (DuckDB hands over chunks of 2048; they are gathered to this). */
const columnBatch = 1 << 16;

/**
 * Streams the requests of the `trace_requests` view that matter to a cache, in timestamp order, as typed columns
 * (`internObjects` first). Memory is bounded by the batch, whatever the length of the trace: DuckDB sorts with
 * its memory limit, spilling beyond it. With `rows`, each batch also carries the requests as objects.
 */
export async function* streamColumns(db: Db, rows = false): AsyncGenerator<RequestColumns> {
  const extra = rows ? ', method, kind, object_key, status, repository, client' : '';
  const chunks = db.stream(`
    SELECT epoch_us(timestamp) / 1000.0 AS time, object, coalesce(response_size, 0)::DOUBLE AS size, ${opSql} AS op${extra}
    FROM trace_requests JOIN ${objectsTable} USING (object_key) JOIN ${filesTable} USING (source, file)
    WHERE (CASE WHEN ${replayedSql} THEN true ELSE false END)
    ORDER BY timestamp, file_rank, record_index`);
  // The order of streamRequests (timestamp, source, file, record_index), with the file's number for its two
  // names: sorting by two strings took half the time of the query.
  // The condition in a CASE is not pushed into the Parquet scan: pushed, it makes DuckDB expect a few rows
  // from the scan and build the join's hash table on the requests instead of the objects (twice the time).
  const batch: RequestColumns = {
    length: 0,
    time: new Float64Array(columnBatch),
    object: new Int32Array(columnBatch),
    size: new Float64Array(columnBatch),
    op: new Uint8Array(columnBatch),
    rows: rows ? [] : undefined,
  };
  for await (const chunk of chunks) {
    if (batch.length + chunk.rowCount > columnBatch) {
      yield batch;
      batch.length = 0;
      if (batch.rows) batch.rows = [];
    }
    gather(batch, chunk);
    keepAlive(chunk);
  }
  if (batch.length > 0) yield batch;
}

/** Appends a DuckDB chunk to the batch. */
function gather(batch: RequestColumns, chunk: DuckDBDataChunk): void {
  const n = chunk.rowCount;
  const at = batch.length;
  batch.time.set(numbers(chunk, 0, n), at);
  batch.object.set(numbers(chunk, 1, n), at);
  batch.size.set(numbers(chunk, 2, n), at);
  batch.op.set(numbers(chunk, 3, n), at);
  if (batch.rows) {
    const cols = chunk.getColumns();
    for (let i = 0; i < n; i++) {
      batch.rows.push({
        time: batch.time[at + i],
        method: cols[4][i] as string,
        kind: cols[5][i] as Kind,
        key: cols[6][i] as string,
        size: batch.size[at + i],
        status: cols[7][i] as number | null,
        repository: cols[8][i] as string | null,
        client: cols[9][i] as string | null,
      });
    }
  }
  batch.length = at + n;
}

/**
 * The values of a column of numbers without NULLs: the typed array DuckDB's vector reads them into, copied with
 * one `set` (its `items`; a vector without it is read value by value).
 */
function numbers(chunk: DuckDBDataChunk, column: number, n: number): ArrayLike<number> {
  const vector = chunk.getColumnVector(column);
  const items = (vector as unknown as { items?: unknown }).items;
  if (ArrayBuffer.isView(items) && (items as unknown as ArrayLike<number>).length === n) return items as unknown as ArrayLike<number>;
  return Array.from({ length: n }, (_, i) => Number(vector.getItem(i)));
}
