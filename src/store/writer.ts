import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBAppender, DuckDBTimestampValue } from '@duckdb/node-api';
import { ImgscanError } from '../errors.js';
import { Db, sqlString } from './duckdb.js';
import { beginBatch, commitBatch, recoverDataset } from './parts.js';
import type { TableRows } from './rows.js';
import { datasetSchema, type Column, type TableName, tableNames } from './schema.js';
import { attachDataset } from './views.js';

/**
 * Writes rows into a dataset directory in atomic batches. Rows are appended (DuckDB Appender) to an in-memory
 * staging database; `commit` writes each table's rows as one Parquet part (zstd) and publishes them together.
 */
export class DatasetWriter {
  private readonly appenders = new Map<TableName, DuckDBAppender>();
  private readonly counts = new Map<TableName, number>();
  private readonly layerDigests = new Set<string>();
  private readonly imageDigests = new Set<string>();
  private readonly refKeys = new Set<string>();
  private batchSeq = 0;

  private constructor(
    readonly dataDir: string,
    private readonly staging: Db,
    private readonly writerId: string,
  ) {}

  /** Opens DIR for writing: recovers interrupted batches and loads the keys already stored. */
  static async open(dataDir: string, options: { writerTag?: string } = {}): Promise<DatasetWriter> {
    mkdirSync(dataDir, { recursive: true });
    recoverDataset(dataDir);
    const staging = await Db.open(':memory:', { threads: '1' });
    const schema = datasetSchema();
    for (const table of tableNames) await staging.run(schema.get(table)!.ddl.replace(`CREATE TABLE ${table}`, `CREATE TABLE stage_${table}`));
    const tag = options.writerTag ? `${options.writerTag}-` : '';
    const writer = new DatasetWriter(dataDir, staging, `${tag}${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`);
    await writer.loadKeys();
    return writer;
  }

  private async loadKeys(): Promise<void> {
    const db = await Db.open(':memory:');
    try {
      await attachDataset(db, [this.dataDir]);
      for (const r of await db.all<{ d: string }>('SELECT DISTINCT layer_digest AS d FROM layers')) this.layerDigests.add(r.d);
      for (const r of await db.all<{ d: string }>('SELECT DISTINCT manifest_digest AS d FROM images')) this.imageDigests.add(r.d);
      for (const r of await db.all<{ registry: string; repository: string; tag: string | null; manifest_digest: string }>(
        'SELECT DISTINCT registry, repository, tag, manifest_digest FROM image_refs',
      )) {
        this.refKeys.add(refKey(r));
      }
    } finally {
      db.close();
    }
  }

  /** True when the layer is stored, or staged in the open batch. */
  hasLayer(digest: string): boolean {
    return this.layerDigests.has(digest);
  }

  hasImage(digest: string): boolean {
    return this.imageDigests.has(digest);
  }

  hasRef(ref: TableRows['image_refs']): boolean {
    return this.refKeys.has(refKey(ref));
  }

  /** Rows staged and not yet committed. */
  get pendingRows(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  async add<T extends TableName>(table: T, rows: TableRows[T][]): Promise<void> {
    if (rows.length === 0) return;
    const appender = await this.appender(table);
    const columns = datasetSchema().get(table)!.columns;
    for (const row of rows) {
      for (const column of columns) appendValue(appender, column, (row as unknown as Record<string, unknown>)[column.name]);
      appender.endRow();
    }
    this.counts.set(table, (this.counts.get(table) ?? 0) + rows.length);
    if (table === 'layers') for (const r of rows as TableRows['layers'][]) this.layerDigests.add(r.layer_digest);
    if (table === 'images') for (const r of rows as TableRows['images'][]) this.imageDigests.add(r.manifest_digest);
    if (table === 'image_refs') for (const r of rows as TableRows['image_refs'][]) this.refKeys.add(refKey(r));
  }

  private async appender(table: TableName): Promise<DuckDBAppender> {
    let a = this.appenders.get(table);
    if (!a) {
      a = await this.staging.connection.createAppender(`stage_${table}`);
      this.appenders.set(table, a);
    }
    return a;
  }

  /** Publishes every staged row as one batch of Parquet parts, atomically. Returns the batch id, if any. */
  async commit(): Promise<string | undefined> {
    for (const a of this.appenders.values()) a.closeSync();
    this.appenders.clear();
    if (this.pendingRows === 0) return undefined;
    const batch = `${this.writerId}-${String(this.batchSeq++).padStart(6, '0')}`;
    try {
      const dir = beginBatch(this.dataDir, batch);
      for (const [table, count] of this.counts) {
        if (count === 0) continue;
        const file = join(dir, `${table}.parquet`);
        await this.staging.run(`COPY stage_${table} TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
        await this.staging.run(`DELETE FROM stage_${table}`);
      }
      commitBatch(this.dataDir, batch);
    } catch (err) {
      throw new ImgscanError('STORE', `could not write batch ${batch}: ${(err as Error).message}`, { path: this.dataDir }, { cause: err });
    }
    this.counts.clear();
    return batch;
  }

  /** Closes without committing: staged rows are dropped. */
  close(): void {
    for (const a of this.appenders.values()) {
      try {
        a.closeSync();
      } catch {
        // The staging database is dropped with the rows.
      }
    }
    this.appenders.clear();
    this.staging.close();
  }
}

function refKey(r: { registry: string; repository: string; tag: string | null; manifest_digest: string }): string {
  return `${r.registry}\0${r.repository}\0${r.tag ?? ''}\0${r.manifest_digest}`;
}

function appendValue(appender: DuckDBAppender, column: Column, value: unknown): void {
  if (value === null || value === undefined) {
    if (!column.nullable) throw new ImgscanError('INTERNAL', `column ${column.name} may not be null`);
    appender.appendNull();
    return;
  }
  switch (column.type) {
    case 'VARCHAR':
      appender.appendVarchar(value as string);
      break;
    case 'INTEGER':
      appender.appendInteger(value as number);
      break;
    case 'BIGINT':
      appender.appendBigInt(BigInt(value as number));
      break;
    case 'DOUBLE':
      appender.appendDouble(value as number);
      break;
    case 'BOOLEAN':
      appender.appendBoolean(value as boolean);
      break;
    case 'TIMESTAMP':
      appender.appendTimestamp(new DuckDBTimestampValue(BigInt((value as Date).getTime()) * 1000n));
      break;
  }
}
