import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachDataset } from '../store/views.js';
import { Db, sqlString } from '../store/duckdb.js';
import { ImgscanError } from '../errors.js';
import { type SqlParams, sqlFile } from './sql.js';
import { EntryWalks } from './walks.js';
import { datasetSchema } from '../model/schema.js';

/**
 * Memory DuckDB may hold for an analysis before it spills to disk (its own default is 80% of the machine). At
 * 1.5 GiB, 10 M file rows analyze in the same time as without a limit, with a peak RSS under 2 GB.
 */
export const defaultAnalysisMemory = 1.5 * 2 ** 30;

/**
 * A DuckDB session over one dataset (one or more data dirs: runs and shards), with the working tables of
 * prepare.sql and entries.sql in place. `query` runs a file of src/analysis/sql and returns plain rows:
 * BIGINT and HUGEINT values come back as JS numbers (byte counts stay far below 2^53).
 */
export class AnalysisDb {
  /** Seconds spent per SQL file, in the order run (a file run twice adds up). */
  readonly timings: Map<string, number> = new Map();
  /** The entries by layer, for the per-image walks (src/analysis/walks.ts); set once open. */
  walks!: EntryWalks;

  /**
   * The files image_dirs.sql reads: the stored files; the files of once.sql when some layer was stored more than
   * once; a_entries when images were selected (their layers' files only).
   */
  private filePaths = 'files';

  /** The content keys h and h2 that entries.sql and sample_prepare.sql read (`contentKeys`). */
  private keys: SqlParams = storedKeys;

  private constructor(
    readonly db: Db,
    /** The spill directory of the session that opened the dataset; none for one made by `beside`. */
    private readonly spill?: string,
    /** The session `beside` was called on. */
    private readonly parent?: AnalysisDb,
  ) {
    if (parent) {
      this.timings = parent.timings;
      this.walks = parent.walks;
      this.filePaths = parent.filePaths;
      this.keys = parent.keys;
    }
  }

  /**
   * The same session on a connection of its own, for figures whose queries can run beside this connection's:
   * DuckDB works on them while the main thread runs a walk (analyze.ts). The working tables are the database's,
   * so both connections see them; the timings go into this session's. Close it before this one.
   */
  async beside(): Promise<AnalysisDb> {
    return new AnalysisDb(await this.db.connect(), undefined, this);
  }

  /**
   * Opens the dataset. `select`, when given, runs once the image and layer tables are in place and names the
   * images (manifest digests) to keep: the rest of the working tables then cover only those and their layers.
   */
  static async open(dataDirs: string[], select?: (a: AnalysisDb) => Promise<string[]>, memory = defaultAnalysisMemory): Promise<AnalysisDb> {
    // Working tables need no row order (every query orders its result), which lets DuckDB build them faster.
    // Tables larger than memory spill to a private temporary directory, removed on close.
    const spill = mkdtempSync(join(tmpdir(), 'imgscan-analyze-'));
    const db = await Db.open(':memory:', { preserve_insertion_order: 'false', temp_directory: spill, memory_limit: `${Math.max(64, Math.floor(memory / 2 ** 20))}MiB` });
    let opened: AnalysisDb | undefined;
    try {
      await attachDataset(db, dataDirs);
      const a = new AnalysisDb(db, spill);
      opened = a;
      a.keys = await contentKeys(db);
      await a.run('prepare');
      if (select) await a.keepImages(await select(a));
      const [twice] = await a.rows<{ n: number }>('SELECT count(*) AS n FROM a_layers_twice');
      if (twice.n > 0) await a.run('once');
      const sources = twice.n > 0 ? { files: 'a_files_once', chunks: 'a_chunks_once' } : { files: 'files', chunks: 'chunks' };
      await a.run('entries', sources);
      a.filePaths = select ? 'a_entries' : sources.files;
      // The directories beside the walks' read (a_dirs is for image waste, which every analysis of a whole
      // dataset makes): DuckDB has cores to spare while the main thread takes in the entries.
      if (!select) void a.directories();
      a.walks = await a.timed('walks', async () => {
        // The stored files, not the working tables: an estimate that may count files of layers left out.
        const [estimate] = await db.all<{ n: bigint }>(`SELECT approx_count_distinct(${a.keys.h}) AS n FROM files WHERE entry_type = 'file'`);
        return EntryWalks.load(db, Number(estimate.n));
      });
      return a;
    } catch (err) {
      await opened?.dirs?.catch(() => undefined);
      db.close();
      rmSync(spill, { recursive: true, force: true });
      throw err instanceof ImgscanError ? err : new ImgscanError('STORE', `cannot analyze the dataset: ${(err as Error).message}`, {}, { cause: err });
    }
  }

  private async keepImages(digests: string[]): Promise<void> {
    const list = digests.length ? digests.map(sqlString).join(', ') : "''";
    await this.db.run(`DELETE FROM a_images WHERE manifest_digest NOT IN (${list})`);
    await this.db.run('DELETE FROM a_image_layers WHERE image_id NOT IN (SELECT image_id FROM a_images)');
    await this.db.run('DELETE FROM a_image_refs WHERE manifest_digest NOT IN (SELECT manifest_digest FROM a_images)');
    await this.db.run('DELETE FROM a_layers WHERE layer_id NOT IN (SELECT layer_id FROM a_image_layers WHERE layer_id IS NOT NULL)');
  }

  /**
   * Makes a_dirs (image_dirs.sql), once, on a connection of its own: for a whole dataset it starts when the
   * dataset opens, so that DuckDB works on it while this connection's read for the walks keeps the main thread
   * busy (the step's time overlaps theirs); this connection stays free for the walks meanwhile. Await the promise
   * before reading a_dirs.
   */
  directories(): Promise<void> {
    if (this.parent) return this.parent.directories();
    if (!this.dirs) {
      this.dirs = this.makeDirectories();
      // Its failure is met where it is awaited (image waste, close), not as an unhandled rejection meanwhile.
      this.dirs.catch(() => undefined);
    }
    return this.dirs;
  }

  private dirs?: Promise<void>;

  private makeDirectories(): Promise<void> {
    const params = { file_paths: this.filePaths };
    return this.timed('image_dirs', async () => {
      const connection = await this.db.connect();
      try {
        await connection.run(sqlFile('image_dirs', params));
      } finally {
        connection.close();
      }
    });
  }

  /** Runs a script of src/analysis/sql (statements that create working tables). */
  async run(name: string, params: SqlParams = {}): Promise<void> {
    const started = performance.now();
    await this.db.run(sqlFile(name, { ...this.keys, ...params }));
    this.time(name, started);
  }

  /** Runs a query of src/analysis/sql and returns its rows. */
  async query<T>(name: string, params: SqlParams = {}): Promise<T[]> {
    const started = performance.now();
    const rows = await this.rows<T>(sqlFile(name, { ...this.keys, ...params }));
    this.time(name, started);
    return rows;
  }

  /** Runs a step that is not a SQL file (a walk of src/analysis/walks.ts), timed under `name`. */
  async timed<T>(name: string, step: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await step();
    this.time(name, started);
    return result;
  }

  private time(name: string, started: number): void {
    this.timings.set(name, (this.timings.get(name) ?? 0) + (performance.now() - started) / 1000);
  }

  /** True once a working table of that name is made (by this connection or another). */
  async has(table: string): Promise<boolean> {
    const [made] = await this.rows<{ n: number }>(`SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = ${sqlString(table)}`);
    return made.n > 0;
  }

  /** Runs SQL text and returns its rows with bigints as numbers. */
  async rows<T>(sql: string): Promise<T[]> {
    return (await this.db.all(sql)).map((r) => plain(r) as T);
  }

  /** Closes the session, once a_dirs, if started, is made or failed (its connection is of this database). */
  async close(): Promise<void> {
    await this.dirs?.catch(() => undefined);
    this.db.close();
    if (this.spill) rmSync(this.spill, { recursive: true, force: true });
  }
}

const storedKeys: SqlParams = { h: 'content_key1', h2: 'content_key2' };

/**
 * A content's 128-bit key is the first 16 bytes of its digest (docs/metrics.md), stored by the scan as the files
 * columns content_key1 and content_key2. Where some file lacks them (a part written before they existed), the
 * same integers are computed from the hex digest for every file: slower (the digest column is read), and the
 * same keys.
 */
async function contentKeys(db: Db): Promise<SqlParams> {
  const [lacking] = await db.all<{ n: bigint }>("SELECT count(*) AS n FROM (SELECT 1 FROM files WHERE entry_type = 'file' AND content_key1 IS NULL LIMIT 1)");
  if (Number(lacking.n) === 0) return storedKeys;
  const [h, h2] = ['content_key1', 'content_key2'].map((name) => datasetSchema().get('files')!.columns.find((c) => c.name === name)!.expression!);
  return { h, h2 };
}

/**
 * A DuckDB value with every bigint (also inside lists and structs) as a number, and every fraction to 15
 * significant digits: an interpolated quantile of 641501.6 bytes reads so, not as 641501.6000000001 (the noise
 * of binary floating point, below the precision of any figure here).
 */
export function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)) return Number(value.toPrecision(15));
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}
