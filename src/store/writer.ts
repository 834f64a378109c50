import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBAppender, DuckDBTimestampValue } from '@duckdb/node-api';
import { ImgscanError } from '../errors.js';
import { Db, sqlString } from './duckdb.js';
import { Claims, claimName } from './claims.js';
import { beginBatch, commitBatch, listParts, partPath, recoverDataset } from './parts.js';
import type { TableRows } from './rows.js';
import { datasetSchema, type Column, type TableName, tableNames } from './schema.js';

/** DuckDB memory for staged rows; more spills to disk (measured: 2 M staged rows, peak RSS 275 MiB vs 421 at 128 MB). */
const stagingMemory = '48MB';
/**
 * Rows per Parquet row group. The writer holds a row group in memory while it encodes it: 30 720 rows keep a
 * commit of 150 k rows some 35 MiB lower than DuckDB's 122 880, and still give readers large groups.
 */
const rowGroupRows = 30_720;

/**
 * Writes rows into a dataset directory in atomic batches. Rows are appended (DuckDB Appender) to an in-memory
 * staging database; `commit` writes each table's rows as one Parquet part (zstd) and publishes them together.
 */
export class DatasetWriter {
  private readonly appenders = new Map<TableName, DuckDBAppender>();
  private readonly counts = new Map<TableName, number>();
  private readonly imageDigests = new Set<string>();
  private readonly refKeys = new Set<string>();
  private readonly diffIds = new Map<string, string>();
  private readonly inFlight = new Set<string>();
  private held: { table: TableName; rows: unknown[] }[] | undefined;
  private batchSeq = 0;
  /** Claims whose rows are staged: released once they are committed. */
  private readonly staged = new Set<string>();
  /** Parquet parts whose keys are loaded. */
  private readonly loadedParts = new Set<string>();
  private readonly claims: Claims;

  private constructor(
    readonly dataDir: string,
    private readonly staging: Db,
    private readonly writerId: string,
    private readonly spillDir: string,
  ) {
    this.claims = new Claims(dataDir, writerId);
  }

  /** Opens DIR for writing: recovers interrupted batches and loads the keys already stored. */
  static async open(dataDir: string, options: { writerTag?: string } = {}): Promise<DatasetWriter> {
    if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) throw new ImgscanError('USAGE', `--data ${dataDir} is a file, not a dataset directory`);
    mkdirSync(dataDir, { recursive: true });
    recoverDataset(dataDir);
    const tag = options.writerTag ? `${options.writerTag}-` : '';
    const writerId = `${tag}${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    // Staged rows beyond the memory limit spill to a pending dir of the data dir (removed on close; recovery
    // removes it once its writer is gone): a layer with millions of rows, which must stay staged until it
    // ends, does not grow the process.
    const spill = beginBatch(dataDir, `stage-${writerId}`);
    const staging = await Db.open(':memory:', { threads: '1', memory_limit: stagingMemory, temp_directory: spill });
    const schema = datasetSchema();
    for (const table of tableNames) await staging.run(schema.get(table)!.ddl.replace(`CREATE TABLE ${table}`, `CREATE TABLE stage_${table}`));
    const writer = new DatasetWriter(dataDir, staging, writerId, spill);
    await writer.refresh();
    await writer.openAppenders();
    return writer;
  }

  /** Loads the keys (layers, images, refs) of committed parts not loaded yet: others' commits included. */
  async refresh(): Promise<void> {
    const fresh = (table: TableName) => listParts(this.dataDir, table).filter((p) => !this.loadedParts.has(p));
    const parts = { layers: fresh('layers'), images: fresh('images'), image_refs: fresh('image_refs') };
    if (parts.layers.length + parts.images.length + parts.image_refs.length === 0) return;
    const db = await Db.open(':memory:', { threads: '1' });
    const from = (files: string[]) => `read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true)`;
    try {
      if (parts.layers.length > 0) {
        for (const r of await db.all<{ d: string; diff_id: string }>(`SELECT layer_digest AS d, any_value(diff_id) AS diff_id FROM ${from(parts.layers)} GROUP BY 1`)) {
          this.diffIds.set(r.d, r.diff_id);
        }
      }
      if (parts.images.length > 0) {
        for (const r of await db.all<{ d: string }>(`SELECT DISTINCT manifest_digest AS d FROM ${from(parts.images)}`)) this.imageDigests.add(r.d);
      }
      if (parts.image_refs.length > 0) {
        for (const r of await db.all<{ registry: string; repository: string; tag: string | null; manifest_digest: string }>(
          `SELECT DISTINCT registry, repository, tag, manifest_digest FROM ${from(parts.image_refs)}`,
        )) {
          this.refKeys.add(refKey(r));
        }
      }
    } finally {
      db.close();
    }
    for (const list of Object.values(parts)) for (const p of list) this.loadedParts.add(p);
  }

  /**
   * Claims a layer for reading: false when another writer of this data dir is reading it (wait with
   * `awaitLayer`). The claim is released when the layer is committed or aborted.
   */
  claimLayer(digest: string): boolean {
    return this.claims.tryClaim(claimName('layer', digest));
  }

  /** Claims an image for storing, as `claimLayer`; released when its rows are committed or with `releaseImage`. */
  claimImage(digest: string): boolean {
    return this.claims.tryClaim(claimName('image', digest));
  }

  /** Gives up a layer claim without reading the layer (it turned out to be stored already). */
  releaseLayer(digest: string): void {
    this.claims.release(claimName('layer', digest));
  }

  releaseImage(digest: string): void {
    this.claims.release(claimName('image', digest));
  }

  /** Waits until another writer's claim on a layer ends, then loads what it committed. */
  async awaitLayer(digest: string, poll?: () => Promise<void>): Promise<void> {
    await this.claims.waitForRelease(claimName('layer', digest), poll);
    await this.refresh();
  }

  async awaitImage(digest: string, poll?: () => Promise<void>): Promise<void> {
    await this.claims.waitForRelease(claimName('image', digest), poll);
    await this.refresh();
  }

  /** True when another writer waits for a layer or image staged here: commit now rather than on schedule. */
  wantsCommit(): boolean {
    for (const name of this.staged) if (this.claims.isWaitedOn(name)) return true;
    return false;
  }

  /** True when the layer is stored, or finished and staged for the next batch. */
  hasLayer(digest: string): boolean {
    return this.diffIds.has(digest);
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
        this.diffIds.set(r.layer_digest, r.diff_id);
        this.staged.add(claimName('layer', r.layer_digest));
      }
    }
    if (table === 'images') {
      for (const r of rows as TableRows['images'][]) {
        this.imageDigests.add(r.manifest_digest);
        this.staged.add(claimName('image', r.manifest_digest));
      }
    }
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
    this.claims.release(claimName('layer', digest));
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
      const publishing = [...this.staged];
      if (ready.size === 0) return;
      batch = `${this.writerId}-${String(this.batchSeq++).padStart(6, '0')}`;
      try {
        const dir = beginBatch(this.dataDir, batch);
        for (const table of ready.keys()) {
          const file = join(dir, `${table}.parquet`);
          await this.staging.run(`COPY (SELECT * FROM stage_${table}${keep(table)}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRows})`);
        }
        commitBatch(this.dataDir, batch);
        for (const table of ready.keys()) this.loadedParts.add(partPath(this.dataDir, table, batch));
      } catch (err) {
        throw new ImgscanError('STORE', `could not write batch ${batch}: ${(err as Error).message}`, { path: this.dataDir }, { cause: err });
      }
      for (const [table, n] of ready) {
        await this.staging.run(`DELETE FROM stage_${table}${keep(table)}`);
        this.counts.set(table, (this.counts.get(table) ?? 0) - n);
      }
      for (const name of publishing) {
        this.staged.delete(name);
        this.claims.release(name);
      }
    });
    return batch;
  }

  /** Closes without committing: staged rows are dropped, claims released. */
  close(): void {
    this.claims.close();
    for (const a of this.appenders.values()) {
      try {
        a.closeSync();
      } catch {
        // The staging database is dropped with the rows.
      }
    }
    this.appenders.clear();
    this.staging.close();
    rmSync(this.spillDir, { recursive: true, force: true });
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
