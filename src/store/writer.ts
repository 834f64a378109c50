import './allocator.js';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBAppender } from '@duckdb/node-api';
import { appendValue } from './append.js';
import { ImgscanError } from '../errors.js';
import { Db, sqlString, storeError } from './duckdb.js';
import { claimsDirName } from './layout.js';
import { beginBatch, commitBatch, listParts, partPath, pendingDir, recoverDataset } from './parts.js';
import type { TableRows } from '../model/rows.js';
import { datasetSchema, generatedColumns, type TableName, tableNames } from '../model/schema.js';

/** DuckDB memory for staged rows; more spills to disk (measured: 2 M staged rows, peak RSS 275 MiB vs 421 at 128 MB). */
const stagingMemory = '48MB';
/**
 * Rows per Parquet row group. The writer holds a row group in memory while it encodes it: 30 720 rows keep a
 * commit of 150 k rows some 35 MiB lower than DuckDB's 122 880, and still give readers large groups.
 */
const rowGroupRows = 30_720;
/**
 * Rows an appender takes before they are flushed into the staging table. DuckDB's appender keeps rows in a
 * buffer of its own, outside the memory limit (and so never spilled), until 204 800 rows or a flush: a layer of
 * many rows (chunks of three chunkers) held some 45 MiB there. Flushed every 16 384 rows it holds a few MiB.
 */
const appenderFlushRows = 16_384;

/** What a batch publishes, by key: a layer (its layers row), or an image (its images row or a ref to it). */
export interface StagedKey {
  kind: 'layer' | 'image';
  digest: string;
}

/** `committed`: the keys whose rows a batch just published; `closed`: the writer is closed. */
interface WriterEvents {
  committed: [keys: StagedKey[]];
  closed: [];
}

/**
 * Writes rows into a dataset directory in atomic batches. Rows are appended (DuckDB Appender) to an in-memory
 * staging database; `commit` writes each table's rows as one Parquet part (zstd) and publishes them together.
 * It knows which keys are stored (`refresh` loads others' commits) and which are staged, and says when a batch
 * published some (`committed`); coordination between writers is the ledger's (src/store/ledger.ts).
 */
export class DatasetWriter extends EventEmitter<WriterEvents> {
  private readonly appenders = new Map<TableName, DuckDBAppender>();
  private readonly counts = new Map<TableName, number>();
  /** Rows appended to each table's appender since it was last flushed. */
  private readonly unflushed = new Map<TableName, number>();
  private readonly imageDigests = new Set<string>();
  private readonly refKeys = new Set<string>();
  private readonly diffIds = new Map<string, string>();
  private readonly inFlight = new Set<string>();
  private held: { table: TableName; rows: unknown[] }[] | undefined;
  /** Settles when the exclusive section running now ends (`held` is set while one runs). */
  private turn: Promise<void> = Promise.resolve();
  private batchSeq = 0;
  /** Keys whose rows are staged, with when they were staged (`stageSeq`): published by the commit after that. */
  private readonly staged = new Map<string, { key: StagedKey; seq: number }>();
  private stageSeq = 0;
  /** Parquet parts whose keys are loaded. */
  private readonly loadedParts = new Set<string>();
  /** The first failure of the staging database: its rows may be incomplete, so nothing more is committed. */
  private broken: ImgscanError | undefined;

  private constructor(
    readonly dataDir: string,
    private readonly staging: Db,
    /** Unique among the writers of the data dir: names its batches (and its claims). */
    readonly writerId: string,
    private readonly spillDir: string,
  ) {
    super();
  }

  /**
   * Opens DIR for writing: recovers interrupted batches and loads the keys already stored. `stagingMemory`
   * (a DuckDB size such as '48MB') is the memory staged rows may take before they spill to disk.
   */
  static async open(dataDir: string, options: { writerTag?: string; stagingMemory?: string } = {}): Promise<DatasetWriter> {
    if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) throw new ImgscanError('USAGE', `--data ${dataDir} is a file, not a dataset directory`);
    const tag = options.writerTag ? `${options.writerTag}-` : '';
    const writerId = `${tag}${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    let staging: Db | undefined;
    let writer: DatasetWriter | undefined;
    try {
      // The dataset's folders that are not tables exist from its first open: readers know a dataset by them.
      mkdirSync(join(dataDir, claimsDirName), { recursive: true });
      recoverDataset(dataDir);
      // Staged rows beyond the memory limit spill to a pending dir of the data dir (removed on close; recovery
      // removes it once its writer is gone): a layer with millions of rows, which must stay staged until it
      // ends, does not grow the process.
      const spill = beginBatch(dataDir, `stage-${writerId}`);
      staging = await Db.open(':memory:', { threads: '1', memory_limit: options.stagingMemory ?? stagingMemory, temp_directory: spill });
      // Staged without the generated columns: the COPY of a commit computes them (`publishedColumns`).
      for (const table of tableNames) {
        const columns = datasetSchema().get(table)!.given.map((c) => `${c.name} ${c.type}${c.nullable ? '' : ' NOT NULL'}`);
        await staging.run(`CREATE TABLE stage_${table} (${columns.join(', ')})`);
      }
      writer = new DatasetWriter(dataDir, staging, writerId, spill);
      await writer.refresh();
      await writer.openAppenders();
      return writer;
    } catch (err) {
      if (writer) writer.close();
      else staging?.close();
      throw storeError(err, 'cannot open the dataset for writing', dataDir);
    }
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
        for (const r of await db.all<TableRows['image_refs']>(`SELECT DISTINCT registry, repository, tag, manifest_digest, index_digest FROM ${from(parts.image_refs)}`)) {
          this.refKeys.add(refKey(r));
        }
      }
    } finally {
      db.close();
    }
    for (const list of Object.values(parts)) for (const p of list) this.loadedParts.add(p);
  }

  /** True when rows of the key (a layers row; an images row or a ref) are staged and not yet committed. */
  isStaged(kind: StagedKey['kind'], digest: string): boolean {
    return this.staged.has(stagedName(kind, digest));
  }

  /** The keys staged and not yet committed. */
  *stagedKeys(): Iterable<StagedKey> {
    for (const s of this.staged.values()) yield s.key;
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

  /** The failure after which this writer stores nothing more (STORE), if any. */
  get failure(): ImgscanError | undefined {
    return this.broken;
  }

  /** Rows staged and not yet committed. */
  get pendingRows(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /**
   * Stages rows. Rows of `files` and `chunks` belong to a layer opened with `beginLayer`. Rows of `layers`,
   * `images` and `image_refs` make their layer or image staged (`isStaged`) until committed. Throws STORE
   * when the rows cannot be staged (no room to spill): the writer then commits nothing more.
   */
  add<T extends TableName>(table: T, rows: TableRows[T][]): void {
    if (rows.length === 0) return;
    this.usable();
    // Keys are noted at once, also while a commit holds the rows back: they count as staged (and a claim on
    // them stays) until these rows are committed.
    this.track(table, rows);
    if (this.held) this.held.push({ table, rows });
    else this.append(table, rows);
  }

  private append(table: TableName, rows: unknown[]): void {
    const appender = this.appenders.get(table)!;
    const columns = datasetSchema().get(table)!.given;
    try {
      for (const row of rows) {
        for (const column of columns) appendValue(appender, column, (row as unknown as Record<string, unknown>)[column.name]);
        appender.endRow();
      }
      const unflushed = (this.unflushed.get(table) ?? 0) + rows.length;
      if (unflushed >= appenderFlushRows) appender.flushSync();
      this.unflushed.set(table, unflushed >= appenderFlushRows ? 0 : unflushed);
    } catch (err) {
      throw this.breaks(err, `could not stage ${rows.length} rows of ${table} (staged rows spill to ${this.spillDir})`);
    }
    this.counts.set(table, (this.counts.get(table) ?? 0) + rows.length);
  }

  private track(table: TableName, rows: unknown[]): void {
    const stage = (kind: StagedKey['kind'], digest: string) => this.staged.set(stagedName(kind, digest), { key: { kind, digest }, seq: ++this.stageSeq });
    if (table === 'layers') {
      for (const r of rows as TableRows['layers'][]) {
        this.diffIds.set(r.layer_digest, r.diff_id);
        stage('layer', r.layer_digest);
      }
    }
    if (table === 'images') {
      for (const r of rows as TableRows['images'][]) {
        this.imageDigests.add(r.manifest_digest);
        stage('image', r.manifest_digest);
      }
    }
    if (table === 'image_refs') {
      for (const r of rows as TableRows['image_refs'][]) {
        this.refKeys.add(refKey(r));
        stage('image', r.manifest_digest);
      }
    }
  }

  /** Records the first failure of the staging database (as STORE) and returns the error to throw. */
  private breaks(err: unknown, doing: string): ImgscanError {
    const e = storeError(err, doing, this.dataDir);
    this.broken ??= e;
    return e;
  }

  /** Throws once staging has failed: its rows may be incomplete, so none of them may be committed. */
  private usable(): void {
    if (!this.broken) return;
    throw new ImgscanError('STORE', `nothing more is stored after an earlier failure: ${this.broken.message}`, { path: this.dataDir });
  }

  /** Marks a layer in progress: its staged rows are kept out of commits until `finishLayer` or `abortLayer`. */
  beginLayer(digest: string): void {
    this.inFlight.add(digest);
  }

  /**
   * Stages the layer's summary row: from the next commit on, the layer and its rows are published. Its rows
   * leave the appenders here, so a failure to stage them (no room to spill) is STORE of this layer.
   */
  finishLayer(row: TableRows['layers']): void {
    this.add('layers', [row]);
    if (!this.held) this.flush(`could not stage the rows of layer ${row.layer_digest} (staged rows spill to ${this.spillDir})`);
    this.inFlight.delete(row.layer_digest);
  }

  private flush(doing: string): void {
    try {
      for (const a of this.appenders.values()) a.flushSync();
      this.unflushed.clear();
    } catch (err) {
      throw this.breaks(err, doing);
    }
  }

  /** Drops the staged rows of a layer that failed. After a staging failure nothing is committed: no need. */
  async abortLayer(digest: string): Promise<void> {
    try {
      if (!this.broken) {
        await this.exclusive(`could not drop the staged rows of layer ${digest}`, async () => {
          for (const table of ['files', 'chunks'] as const) await this.staging.run(`DELETE FROM stage_${table} WHERE layer_digest = ${sqlString(digest)}`);
          this.counts.set('files', await this.stagedCount('files'));
          this.counts.set('chunks', await this.stagedCount('chunks'));
        });
      }
    } catch {
      // The writer is broken now (see `breaks`): the layer's rows are never committed.
    } finally {
      this.inFlight.delete(digest);
    }
  }

  private async stagedCount(table: TableName): Promise<number> {
    const [r] = await this.staging.all<{ n: number | bigint }>(`SELECT count(*) AS n FROM stage_${table}`);
    return Number(r.n);
  }

  private async openAppenders(): Promise<void> {
    for (const table of tableNames) this.appenders.set(table, await this.staging.connection.createAppender(`stage_${table}`));
  }

  /**
   * Runs `fn` with the appenders flushed; rows added meanwhile are held and appended afterwards. A failure is
   * STORE saying what was being done, and breaks the writer.
   */
  private async exclusive(doing: string, fn: () => Promise<void>): Promise<void> {
    // Entered at once when none runs (rows added right after the call are held back); else after it.
    while (this.held) await this.turn;
    let done!: () => void;
    this.turn = new Promise((resolve) => (done = resolve));
    try {
      this.usable();
      this.held = [];
      try {
        this.flush(doing);
        await fn();
      } catch (err) {
        throw this.breaks(err, doing);
      } finally {
        const held = this.held;
        this.held = undefined;
        if (!this.broken) for (const { table, rows } of held) this.append(table, rows);
      }
    } finally {
      done();
    }
  }

  /**
   * Publishes every staged row of finished work as one batch of Parquet parts, atomically. Rows of layers still
   * in progress stay staged for a later batch. Returns the batch id, or undefined when there was nothing to write.
   */
  async commit(): Promise<string | undefined> {
    let batch: string | undefined;
    await this.exclusive('could not write a batch', async () => {
      // Keys staged from here on are of rows held back, not in this batch: they stay staged.
      const upTo = this.stageSeq;
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
          await this.staging.run(`COPY (SELECT ${publishedColumns(table)} FROM stage_${table}${keep(table)}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRows})`);
        }
        commitBatch(this.dataDir, batch);
        for (const table of ready.keys()) this.loadedParts.add(partPath(this.dataDir, table, batch));
      } catch (err) {
        // Not committed: its parts written so far are dropped now (they would take room until recovery).
        if (!existsSync(join(pendingDir(this.dataDir, batch), 'COMMIT'))) rmSync(pendingDir(this.dataDir, batch), { recursive: true, force: true });
        throw storeError(err, `could not write batch ${batch}`, this.dataDir);
      }
      for (const [table, n] of ready) {
        await this.staging.run(`DELETE FROM stage_${table}${keep(table)}`);
        this.counts.set(table, (this.counts.get(table) ?? 0) - n);
      }
      const published: StagedKey[] = [];
      for (const [name, { key, seq }] of this.staged) {
        if (seq > upTo) continue;
        this.staged.delete(name);
        published.push(key);
      }
      this.emit('committed', published);
    });
    return batch;
  }

  /** Closes without committing: staged rows are dropped (and the ledger's claims released, on `closed`). */
  close(): void {
    this.emit('closed');
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

function stagedName(kind: StagedKey['kind'], digest: string): string {
  return `${kind} ${digest}`;
}

/** A ref's identity: every column of image_refs (a tag seen through two indexes is two refs). */
function refKey(r: TableRows['image_refs']): string {
  return [r.registry, r.repository, r.tag ?? '\0', r.manifest_digest, r.index_digest ?? '\0'].join('\n');
}

/** The columns of `table` as published: the staged ones, then the generated ones computed from them. */
function publishedColumns(table: TableName): string {
  return ['*', ...generatedColumns(table)].join(', ');
}
