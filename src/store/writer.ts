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
  private readonly diffIds = new Map<string, string>();
  private readonly inFlight = new Set<string>();
  private held: { table: TableName; rows: unknown[] }[] | undefined;
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
    const staging = await Db.open(':memory:', { threads: '1', memory_limit: '128MB' });
    const schema = datasetSchema();
    for (const table of tableNames) await staging.run(schema.get(table)!.ddl.replace(`CREATE TABLE ${table}`, `CREATE TABLE stage_${table}`));
    const tag = options.writerTag ? `${options.writerTag}-` : '';
    const writer = new DatasetWriter(dataDir, staging, `${tag}${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`);
    await writer.loadKeys();
    await writer.openAppenders();
    return writer;
  }

  private async loadKeys(): Promise<void> {
    const db = await Db.open(':memory:');
    try {
      await attachDataset(db, [this.dataDir]);
      for (const r of await db.all<{ d: string; diff_id: string }>('SELECT layer_digest AS d, any_value(diff_id) AS diff_id FROM layers GROUP BY 1')) {
        this.layerDigests.add(r.d);
        this.diffIds.set(r.d, r.diff_id);
      }
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

  /** True when the layer is stored, or finished and staged for the next batch. */
  hasLayer(digest: string): boolean {
    return this.layerDigests.has(digest);
  }

  /** The diff_id of a stored layer. */
  layerDiffId(digest: string): string | undefined {
    return this.diffIds.get(digest);
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

  /** Stages rows. Rows of `files` and `chunks` belong to a layer opened with `beginLayer`. */
  add<T extends TableName>(table: T, rows: TableRows[T][]): void {
    if (rows.length === 0) return;
    if (this.held) {
      this.held.push({ table, rows });
      return;
    }
    const appender = this.appenders.get(table)!;
    const columns = datasetSchema().get(table)!.columns;
    for (const row of rows) {
      for (const column of columns) appendValue(appender, column, (row as unknown as Record<string, unknown>)[column.name]);
      appender.endRow();
    }
    this.counts.set(table, (this.counts.get(table) ?? 0) + rows.length);
    if (table === 'layers') {
      for (const r of rows as TableRows['layers'][]) {
        this.layerDigests.add(r.layer_digest);
        this.diffIds.set(r.layer_digest, r.diff_id);
      }
    }
    if (table === 'images') for (const r of rows as TableRows['images'][]) this.imageDigests.add(r.manifest_digest);
    if (table === 'image_refs') for (const r of rows as TableRows['image_refs'][]) this.refKeys.add(refKey(r));
  }

  /** Marks a layer in progress: its staged rows are kept out of commits until `finishLayer` or `abortLayer`. */
  beginLayer(digest: string): void {
    this.inFlight.add(digest);
  }

  /** Stages the layer's summary row: from the next commit on, the layer and its rows are published. */
  finishLayer(row: TableRows['layers']): void {
    this.add('layers', [row]);
    this.inFlight.delete(row.layer_digest);
  }

  /** Drops the staged rows of a layer that failed. */
  async abortLayer(digest: string): Promise<void> {
    await this.exclusive(async () => {
      for (const table of ['files', 'chunks'] as const) await this.staging.run(`DELETE FROM stage_${table} WHERE layer_digest = ${sqlString(digest)}`);
      this.counts.set('files', await this.stagedCount('files'));
      this.counts.set('chunks', await this.stagedCount('chunks'));
    });
    this.inFlight.delete(digest);
  }

  private async stagedCount(table: TableName): Promise<number> {
    const [r] = await this.staging.all<{ n: number | bigint }>(`SELECT count(*) AS n FROM stage_${table}`);
    return Number(r.n);
  }

  private async openAppenders(): Promise<void> {
    for (const table of tableNames) this.appenders.set(table, await this.staging.connection.createAppender(`stage_${table}`));
  }

  /** Runs `fn` with the appenders flushed; rows added meanwhile are held and appended afterwards. */
  private async exclusive(fn: () => Promise<void>): Promise<void> {
    while (this.held) await new Promise((r) => setTimeout(r, 5));
    this.held = [];
    try {
      for (const a of this.appenders.values()) a.flushSync();
      await fn();
    } finally {
      const held = this.held;
      this.held = undefined;
      for (const { table, rows } of held) this.add(table, rows as never[]);
    }
  }

  /**
   * Publishes every staged row of finished work as one batch of Parquet parts, atomically. Rows of layers still
   * in progress stay staged for a later batch. Returns the batch id, or undefined when there was nothing to write.
   */
  async commit(): Promise<string | undefined> {
    let batch: string | undefined;
    await this.exclusive(async () => {
      const open = [...this.inFlight].map(sqlString).join(', ');
      const keep = (table: TableName) => (open && (table === 'files' || table === 'chunks') ? ` WHERE layer_digest NOT IN (${open})` : '');
      const ready = new Map<TableName, number>();
      for (const table of tableNames) {
        if (!this.counts.get(table)) continue;
        const [r] = await this.staging.all<{ n: bigint }>(`SELECT count(*) AS n FROM stage_${table}${keep(table)}`);
        if (Number(r.n) > 0) ready.set(table, Number(r.n));
      }
      if (ready.size === 0) return;
      batch = `${this.writerId}-${String(this.batchSeq++).padStart(6, '0')}`;
      try {
        const dir = beginBatch(this.dataDir, batch);
        for (const table of ready.keys()) {
          const file = join(dir, `${table}.parquet`);
          await this.staging.run(`COPY (SELECT * FROM stage_${table}${keep(table)}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
        }
        commitBatch(this.dataDir, batch);
      } catch (err) {
        throw new ImgscanError('STORE', `could not write batch ${batch}: ${(err as Error).message}`, { path: this.dataDir }, { cause: err });
      }
      for (const [table, n] of ready) {
        await this.staging.run(`DELETE FROM stage_${table}${keep(table)}`);
        this.counts.set(table, (this.counts.get(table) ?? 0) - n);
      }
    });
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
