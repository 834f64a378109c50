import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { type DuckDBAppender, DuckDBTimestampValue } from '@duckdb/node-api';
import { ImgscanError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { Db, sqlString } from '../store/duckdb.js';
import { listParts } from '../store/parts.js';
import { parseSchema, type TableSchema } from '../model/schema.js';
import type { TraceRow } from './record.js';

/**
 * Trace storage: `trace_requests` rows as Parquet parts under DATA/trace_requests/, one or more parts per
 * source file. Ingesting a file again replaces the parts of the same source name. A part is written under a
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

type Append = (a: DuckDBAppender, v: unknown) => void;

function appendFor(type: string): Append {
  switch (type) {
    case 'VARCHAR':
      return (a, v) => a.appendVarchar(v as string);
    case 'INTEGER':
      return (a, v) => a.appendInteger(v as number);
    case 'BIGINT':
      return (a, v) => a.appendBigInt(BigInt(v as number));
    case 'DOUBLE':
      return (a, v) => a.appendDouble(v as number);
    case 'TIMESTAMP':
      return (a, v) => a.appendTimestamp(new DuckDBTimestampValue(BigInt(v as number)));
    default:
      throw new ImgscanError('INTERNAL', `schemas/trace.sql: unsupported column type ${type}`);
  }
}

/** The file-name prefix shared by every part of one source. */
export function sourcePrefix(source: string): string {
  const slug = source.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return `${slug}-${createHash('sha1').update(source).digest('hex').slice(0, 10)}-`;
}

export class TraceWriter {
  private appender: DuckDBAppender | undefined;
  private staged = 0;
  private source: string | undefined;
  private written: string[] = [];
  private seq = 0;
  private readonly columns: { name: keyof TraceRow; nullable: boolean; append: Append }[];
  private readonly runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

  private constructor(
    readonly dataDir: string,
    private readonly staging: Db,
    private readonly partRows: number,
  ) {
    this.columns = traceSchema().columns.map((c) => ({ name: c.name as keyof TraceRow, nullable: c.nullable, append: appendFor(c.type) }));
  }

  static async open(dataDir: string, options: { partRows?: number } = {}): Promise<TraceWriter> {
    const dir = join(dataDir, traceTable);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new ImgscanError('STORE', `cannot create ${dir}: ${(err as Error).message}`, { path: dataDir }, { cause: err });
    }
    const staging = await Db.open(':memory:');
    await staging.run(traceSchema().ddl.replace(`CREATE TABLE ${traceTable}`, 'CREATE TABLE stage'));
    return new TraceWriter(dataDir, staging, options.partRows ?? 500_000);
  }

  /** Starts the rows of one source; leftovers of an interrupted earlier run for it are removed. */
  beginSource(source: string): void {
    this.source = source;
    this.written = [];
    const dir = join(this.dataDir, traceTable);
    const prefix = sourcePrefix(source);
    for (const f of readdirSync(dir)) if (f.startsWith(prefix) && f.endsWith('.tmp')) rmSync(join(dir, f), { force: true });
  }

  async add(row: TraceRow): Promise<void> {
    this.appender ??= await this.staging.connection.createAppender('stage');
    const a = this.appender;
    for (const c of this.columns) {
      const v = row[c.name];
      if (v === null || v === undefined) {
        if (!c.nullable) throw new ImgscanError('INTERNAL', `column ${c.name} may not be null`);
        a.appendNull();
      } else c.append(a, v);
    }
    a.endRow();
    if (++this.staged >= this.partRows) await this.flush();
  }

  /** Writes the staged rows as one Parquet part under a temporary name. */
  private async flush(): Promise<void> {
    if (this.appender) {
      this.appender.closeSync();
      this.appender = undefined;
    }
    if (this.staged === 0 || !this.source) return;
    const name = `${sourcePrefix(this.source)}${this.runId}-${String(this.seq++).padStart(5, '0')}.parquet`;
    const tmp = join(this.dataDir, traceTable, `${name}.tmp`);
    try {
      await this.staging.run(`COPY stage TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
      await this.staging.run('DELETE FROM stage');
    } catch (err) {
      throw new ImgscanError('STORE', `cannot write ${tmp}: ${(err as Error).message}`, { path: this.dataDir }, { cause: err });
    }
    this.staged = 0;
    this.written.push(name);
  }

  /** Publishes the source's new parts and removes its parts from earlier runs. Returns the part paths. */
  async endSource(): Promise<string[]> {
    await this.flush();
    const dir = join(this.dataDir, traceTable);
    const prefix = sourcePrefix(this.source!);
    const fresh = new Set(this.written);
    for (const name of this.written) renameSync(join(dir, `${name}.tmp`), join(dir, name));
    for (const f of readdirSync(dir)) if (f.startsWith(prefix) && f.endsWith('.parquet') && !fresh.has(f)) rmSync(join(dir, f), { force: true });
    this.source = undefined;
    return this.written.map((n) => join(dir, n));
  }

  /** Drops the staged rows and temporary parts of the current source; its earlier parts stay as they were. */
  abortSource(): void {
    if (this.appender) {
      try {
        this.appender.closeSync();
      } catch {
        // The staged rows are dropped below.
      }
      this.appender = undefined;
    }
    this.staged = 0;
    for (const name of this.written) rmSync(join(this.dataDir, traceTable, `${name}.tmp`), { force: true });
    this.written = [];
    this.source = undefined;
  }

  close(): void {
    this.abortSource();
    this.staging.close();
  }
}

/** Opens a database with a `trace_requests` view over the committed parts of DATA. */
/** The view over every source's requests; `trace_requests` is it, or one source of it (`selectSource`). */
const allSources = 'trace_requests_all';

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
  // of a replay does not grow with the length of the trace.
  const db = await Db.open(':memory:', { memory_limit: traceMemoryLimit, temp_directory: join(tmpdir(), 'imgscan-trace-spill') });
  try {
    await db.run(`CREATE VIEW ${allSources} AS SELECT * FROM read_parquet([${parts.map(sqlString).join(', ')}], union_by_name = true)`);
    await selectSource(db, null);
  } catch (err) {
    db.close();
    throw new ImgscanError('STORE', `cannot read the trace parts in ${dataDir}: ${(err as Error).message}`, { path: dataDir }, { cause: err });
  }
  return db;
}
