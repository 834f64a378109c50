import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ImgscanError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { Db, sqlString } from '../store/duckdb.js';
import { listParts } from '../store/parts.js';
import { parseSchema, type TableSchema } from '../model/schema.js';

/**
 * Trace storage: `trace_requests` rows as Parquet parts under DATA/trace_requests/, one or more parts per
 * trace file. Ingesting a file again replaces the parts of the file of the same base name. A part is written under a
 * temporary name and renamed into place, so readers (which glob `*.parquet`) never see half a file.
 */
export const traceTable = 'trace_requests';

let cached: TableSchema | undefined;

/** The `trace_requests` table as declared in schemas/trace.sql. */
export function traceSchema(): TableSchema {
  cached ??= parseSchema(readFileSync(join(packageRoot, 'schemas', 'trace.sql'), 'utf8')).get(traceTable);
  if (!cached) throw new ImgscanError('INTERNAL', `schemas/trace.sql does not declare ${traceTable}`);
  return cached;
}

/** The file-name prefix shared by every part of one trace file (named by its base name). */
export function sourcePrefix(file: string): string {
  const slug = file.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return `${slug}-${createHash('sha1').update(file).digest('hex').slice(0, 10)}-`;
}

/**
 * The parts of trace files under DATA/trace_requests/. DuckDB writes a file's parts into a temporary directory
 * (`tempDir`); `publish` renames them into place and removes the file's parts of earlier runs, `abort` drops them.
 */
export class TraceParts {
  readonly dir: string;
  private readonly runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

  constructor(readonly dataDir: string) {
    this.dir = join(dataDir, traceTable);
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      throw new ImgscanError('STORE', `cannot create ${this.dir}: ${(err as Error).message}`, { path: dataDir }, { cause: err });
    }
  }

  /** A fresh temporary directory for the parts of one file; leftovers of interrupted runs for it are removed. */
  tempDir(file: string): string {
    const prefix = sourcePrefix(file);
    for (const f of readdirSync(this.dir)) if (f.startsWith(prefix) && f.endsWith('.tmp')) rmSync(join(this.dir, f), { recursive: true, force: true });
    return join(this.dir, `${prefix}${this.runId}.tmp`);
  }

  /** Publishes the parts written into `temp` (none when `rows` is 0) and removes the file's earlier parts. */
  publish(file: string, temp: string, rows: number): string[] {
    const prefix = sourcePrefix(file);
    const written = rows > 0 && existsSync(temp) ? readdirSync(temp).filter((f) => f.endsWith('.parquet')).sort(byNumber) : [];
    const names = written.map((_, i) => `${prefix}${this.runId}-${String(i).padStart(5, '0')}.parquet`);
    written.forEach((f, i) => renameSync(join(temp, f), join(this.dir, names[i])));
    const fresh = new Set(names);
    for (const f of readdirSync(this.dir)) if (f.startsWith(prefix) && f.endsWith('.parquet') && !fresh.has(f)) rmSync(join(this.dir, f), { force: true });
    rmSync(temp, { recursive: true, force: true });
    return names.map((n) => join(this.dir, n));
  }

  abort(temp: string): void {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** data_2.parquet before data_10.parquet. */
function byNumber(a: string, b: string): number {
  const n = (s: string) => Number(/(\d+)\.parquet$/.exec(s)?.[1] ?? 0);
  return n(a) - n(b) || a.localeCompare(b);
}

/** The view over every source's requests; `trace_requests` is it, or one source of it (`selectSource`). */
export const allSources = 'trace_requests_all';

/** Points the `trace_requests` view of an open trace at one source's requests, or (null) at every source's. */
export async function selectSource(db: Db, source: string | null): Promise<void> {
  const where = source === null ? '' : ` WHERE source = ${sqlString(source)}`;
  await db.run(`CREATE OR REPLACE TEMP VIEW ${traceTable} AS SELECT * FROM ${allSources}${where}`);
}

/** The sources of an open trace, in name order. */
export async function traceSources(db: Db): Promise<string[]> {
  return (await db.all<{ source: string }>(`SELECT DISTINCT source FROM ${allSources} ORDER BY source`)).map((r) => r.source);
}

/** DuckDB's memory for reading a trace back (sorts spill past it). */
export const traceMemoryLimit = '512MiB';

export async function openTrace(dataDir: string): Promise<Db> {
  const parts = existsSync(dataDir) ? listParts(dataDir, traceTable) : [];
  if (parts.length === 0) {
    throw new ImgscanError('USAGE', 'no trace data: run `imgscan trace ingest FILE...` first, or pass --data', { path: dataDir });
  }
  // The replay sorts every request by time: past this much memory DuckDB spills the sort to disk, so the memory
  // of a replay does not grow with the length of the trace. The spill directory is this database's own, removed
  // on close: two replays at once that spilled into one shared directory read back corrupt rows (object numbers
  // out of range, seen with two 10 M-request runs), as DuckDB names its temporary files alike in every process.
  const spill = mkdtempSync(join(tmpdir(), 'imgscan-trace-spill-'));
  const db = await Db.open(':memory:', { memory_limit: traceMemoryLimit, temp_directory: spill }).catch((err: unknown) => {
    rmSync(spill, { recursive: true, force: true });
    throw err;
  });
  const close = db.close.bind(db);
  db.close = () => {
    try {
      close();
    } finally {
      rmSync(spill, { recursive: true, force: true });
    }
  };
  try {
    await db.run(`CREATE VIEW ${allSources} AS SELECT * FROM read_parquet([${parts.map(sqlString).join(', ')}], union_by_name = true)`);
    await selectSource(db, null);
  } catch (err) {
    db.close();
    throw new ImgscanError('STORE', `cannot read the trace parts in ${dataDir}: ${(err as Error).message}`, { path: dataDir }, { cause: err });
  }
  return db;
}
