import { rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ImgscanError, withContext } from '../errors.js';
import { Db, num, sqlString } from '../store/duckdb.js';
import { csvWidthProblems, type InvalidRecord, linesOf, placeName, recordPlaces, sniffTrace, type TraceForm, type TraceFormat } from './read.js';
import { type FieldColumn, numberColumnsSql, problemSql, recordMacros, rowColumnsSql, traceFields } from './record.js';
import { TraceParts } from './store.js';
import { uriMacros } from './uri.js';

/**
 * Reads trace files (a JSON array, JSON lines or CSV, gzipped or not) and writes their requests as
 * `trace_requests` Parquet parts. DuckDB does the work: its JSON and CSV readers, the record checks and the URI
 * parsing of src/trace/record.ts and uri.ts, and the Parquet writer, in one statement per file.
 */
export interface IngestOptions {
  /** Output data directory (DATA/trace_requests/*.parquet). */
  dataDir: string;
  /** Skip records with bad fields instead of stopping (they are counted and the first few reported). */
  skipInvalid?: boolean;
  /** About how many rows per Parquet part. */
  partRows?: number;
  /** The source (availability zone) of every file; by default each file's is found in its name (`sourceOf`). */
  source?: string;
  onProgress?: (p: IngestProgress) => void;
}

export interface IngestProgress {
  file: string;
  filesDone: number;
  files: number;
  records: number;
  bytes: number;
  totalBytes: number;
}

export interface IngestedFile {
  path: string;
  /** Base name: the parts of a file replace those of the file of the same name. */
  file: string;
  source: string;
  format: TraceFormat;
  bytes: number;
  records: number;
  invalid: number;
  parts: number;
}

export interface IngestSummary {
  data_dir: string;
  files: IngestedFile[];
  records: number;
  invalid: number;
  bytes: number;
  seconds: number;
  /** The first bad records skipped with --skip-invalid. */
  problems: InvalidRecord[];
}

const keepProblems = 20;
const spillDir = '.ingest-spill';
const zoneNames = /(?:^|[^a-z0-9])((?:prod|prestage|stage|dev)-[a-z]{3}\d{2})(?![a-z0-9])/;
const bareZone = /(?:^|[-_.])([a-z]{3}\d{2})(?=$|[-_.])/;

/**
 * The source of a trace file found in its name: an IBM availability zone with its environment
 * (`prod-dal09-2017.json` -> `prod-dal09`), else a bare zone (`ibm-dal09-blobs.csv` -> `dal09`), else the base
 * name without its extensions (`.gz`, `.json`, `.jsonl`, `.ndjson`, `.csv`).
 */
export function sourceOf(path: string): string {
  const name = basename(path);
  const lower = name.toLowerCase();
  const zone = zoneNames.exec(lower)?.[1] ?? bareZone.exec(lower)?.[1];
  if (zone) return zone;
  return name.replace(/(\.gz)$/i, '').replace(/\.(json|jsonl|ndjson|csv)$/i, '') || name;
}

function checkFiles(paths: string[]): number[] {
  if (paths.length === 0) throw new ImgscanError('USAGE', 'no trace files given');
  const files = new Map<string, string>();
  return paths.map((p) => {
    const file = basename(p);
    const other = files.get(file);
    if (other !== undefined && resolve(other) !== resolve(p)) {
      throw new ImgscanError('USAGE', `${other} and ${p} share the file name ${file}; ingest them in separate data directories`);
    }
    files.set(file, p);
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      throw new ImgscanError('SOURCE_NOT_FOUND', `cannot read trace file: ${(err as Error).message}`, { path: p }, { cause: err });
    }
    if (!st.isFile()) throw new ImgscanError('SOURCE_NOT_FOUND', 'cannot read trace file: not a regular file', { path: p });
    return st.size;
  });
}

/**
 * Opens the in-memory database ingest runs in, with the record and URI macros. Rows need not keep their file
 * order in the parts (each carries its record_index), so DuckDB may write them as its threads finish them.
 */
async function openIngestDb(dataDir: string): Promise<Db> {
  // Spills beyond the memory limit go under the data directory, not into the working directory.
  const db = await Db.open(':memory:', { memory_limit: '1GB', preserve_insertion_order: 'false', temp_directory: join(dataDir, spillDir) });
  await db.run(uriMacros);
  await db.run(recordMacros);
  return db;
}

export async function ingestTraces(paths: string[], options: IngestOptions): Promise<IngestSummary> {
  const sizes = checkFiles(paths);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const started = Date.now();
  const summary: IngestSummary = { data_dir: options.dataDir, files: [], records: 0, invalid: 0, bytes: 0, seconds: 0, problems: [] };
  const parts = new TraceParts(options.dataDir);
  const db = await openIngestDb(options.dataDir);
  try {
    for (const [i, path] of paths.entries()) {
      const progress = (records: number, bytes: number) =>
        options.onProgress?.({ file: path, filesDone: i, files: paths.length, records: summary.records + records, bytes: summary.bytes + bytes, totalBytes });
      const file = await ingestFile(db, parts, path, sizes[i], options, summary.problems, progress);
      summary.files.push(file);
      summary.records += file.records;
      summary.invalid += file.invalid;
      summary.bytes += file.bytes;
      progress(0, 0);
    }
  } finally {
    db.close();
    rmSync(join(options.dataDir, spillDir), { recursive: true, force: true });
  }
  summary.seconds = (Date.now() - started) / 1000;
  options.onProgress?.({ file: '', filesDone: paths.length, files: paths.length, records: summary.records, bytes: summary.bytes, totalBytes });
  return summary;
}

interface FileJob {
  db: Db;
  path: string;
  form: TraceForm;
  /** CSV records of the wrong width, skipped: their indexes, in order. */
  rejected: number[];
  /**
   * JSON read with each value's kind (slower): needed to tell a string from an object in a text field, and for
   * the exact words of a problem. The fast reading takes every value as text, and gives up (`suspect`) on a text
   * field that looks like an object or array.
   */
  exact: boolean;
}

const suspect = 'imgscan-suspect-record';

async function ingestFile(
  db: Db,
  parts: TraceParts,
  path: string,
  bytes: number,
  options: IngestOptions,
  problems: InvalidRecord[],
  progress: (records: number, bytes: number) => void,
): Promise<IngestedFile> {
  const name = basename(path);
  const out: IngestedFile = { path, file: name, source: options.source ?? sourceOf(path), format: 'csv', bytes, records: 0, invalid: 0, parts: 0 };
  const temp = parts.tempDir(name);
  try {
    const form = await sniffTrace(path);
    out.format = form.format;
    const job: FileJob = { db, path, form, rejected: [], exact: form.format === 'csv' };
    const rowSql = `SELECT ${rowColumnsSql(sqlString(out.source), sqlString(name))} FROM checked`;
    const copy = (where: string): string =>
      `COPY (${checkedSql(job)} ${rowSql} WHERE ${where}) TO ${sqlString(temp)} (FORMAT parquet, COMPRESSION zstd, OVERWRITE true, ${partOptions(options.partRows)})`;
    const stop = watchProgress(db, bytes, (b) => progress(0, b));
    try {
      out.records = options.skipInvalid ? await copySkipping(job, copy, out, problems) : await copyChecked(job, copy);
    } finally {
      stop();
    }
    out.parts = parts.publish(name, temp, out.records).length;
    return out;
  } catch (err) {
    parts.abort(temp);
    throw withContext(err, { path }, 'TRACE_INVALID');
  }
}

/** ROW_GROUP_SIZE and ROW_GROUPS_PER_FILE for parts of about `partRows` rows. */
function partOptions(partRows = 500_000): string {
  const group = Math.min(partRows, 122_880);
  return `ROW_GROUP_SIZE ${group}, ROW_GROUPS_PER_FILE ${Math.max(1, Math.round(partRows / group))}`;
}

/** Reports the share of the file DuckDB has read, as bytes, twice a second while a statement runs. */
function watchProgress(db: Db, bytes: number, report: (bytes: number) => void): () => void {
  const timer = setInterval(() => {
    const p = db.connection.progress.percentage;
    if (p > 0) report(Math.min(bytes, Math.round((bytes * p) / 100)));
  }, 500);
  return () => clearInterval(timer);
}

const marker = 'imgscan-invalid-record';

/** Copies every row, failing at a bad record with a message that names its place. Returns the rows written. */
async function copyChecked(job: FileJob, copy: (where: string) => string): Promise<number> {
  try {
    return await copyRows(job, copy(`CASE WHEN problem IS NULL THEN true ELSE error('${marker}') END`));
  } catch (err) {
    if (!(err instanceof Error) || err instanceof ImgscanError || !err.message.includes(marker)) throw await readError(job, err);
  }
  job.exact = true;
  const [first] = await job.db.all<{ i: bigint; problem: string }>(`${checkedSql(job)} SELECT record_index AS i, problem FROM checked WHERE problem IS NOT NULL ORDER BY record_index LIMIT 1`);
  if (!first) return copyChecked(job, copy);
  const index = num(first.i);
  const lines = await linesOf(job.path, job.form, [index]);
  throw new ImgscanError('TRACE_INVALID', `${placeName(job.form.format, index, lines.get(index))}: ${first.problem}`, { path: job.path });
}

/** Copies the good rows; counts the bad ones and keeps the first few. Returns the rows written. */
async function copySkipping(job: FileJob, copy: (where: string) => string, out: IngestedFile, problems: InvalidRecord[]): Promise<number> {
  let width: Awaited<ReturnType<typeof csvWidthProblems>> = [];
  let rows: number;
  const good = () => copy(`CASE WHEN problem IS NULL THEN true WHEN problem = '${suspect}' THEN error('${suspect}') ELSE false END`);
  try {
    rows = await copyRows(job, good());
  } catch (err) {
    if (err instanceof Error && !(err instanceof ImgscanError) && err.message.includes(suspect)) {
      job.exact = true;
      return copySkipping(job, copy, out, problems);
    }
    if (job.form.format !== 'csv' || err instanceof ImgscanError) throw await readError(job, err);
    width = await csvWidthProblems(job.path, job.form);
    if (width.length === 0) throw await readError(job, err);
    job.rejected = width.map((w) => w.index);
    rows = await copyRows(job, good());
  }
  const [count] = await job.db.all<{ n: bigint }>(`${checkedSql(job)} SELECT count(*) AS n FROM checked WHERE problem IS NOT NULL`);
  out.invalid = num(count.n) + width.length;
  const room = keepProblems - problems.length;
  if (room <= 0 || out.invalid === 0) return rows;
  job.exact = true;
  const bad = await job.db.all<{ i: bigint; problem: string }>(
    `${checkedSql(job)} SELECT record_index AS i, problem FROM checked WHERE problem IS NOT NULL ORDER BY record_index LIMIT ${room}`,
  );
  const found = [...bad.map((b) => ({ index: num(b.i), message: b.problem, line: undefined as number | undefined })), ...width]
    .sort((a, b) => a.index - b.index)
    .slice(0, room);
  const lines = await linesOf(job.path, job.form, found.filter((f) => f.line === undefined).map((f) => f.index));
  for (const f of found) problems.push({ path: job.path, location: placeName(job.form.format, f.index, f.line ?? lines.get(f.index)), message: f.message });
  return rows;
}

async function copyRows(job: FileJob, copy: string): Promise<number> {
  const [r] = await job.db.all<{ Count: bigint }>(copy);
  return num(r?.Count);
}

/**
 * The error of a file DuckDB could not read: the streaming readers walk it to name the record and line at
 * fault (a truncated array, JSON that does not parse, a CSV row of the wrong width); else DuckDB's own words.
 */
async function readError(job: FileJob, err: unknown): Promise<unknown> {
  if (err instanceof ImgscanError) return err;
  try {
    for await (const p of recordPlaces(job.path, job.form)) {
      const width = job.form.header?.length;
      if (p.width !== undefined && p.width !== width) {
        return new ImgscanError('TRACE_INVALID', `${placeName('csv', p.index, p.line)}: expected ${width} fields as in the header, found ${p.width}`, { path: job.path });
      }
    }
  } catch (found) {
    return found;
  }
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0].trim();
  return new ImgscanError('TRACE_INVALID', `cannot read: ${first}`, { path: job.path }, { cause: err });
}

/** The JSON columns j_<column> a reader's row gives, by the field names of the records. */
const columns = Object.entries(traceFields) as [FieldColumn, string][];

/** The reader of a file: `record_index`, and t_<column> and s_<column> (record.ts) from DuckDB's read_json or read_csv. */
function inputSql(job: FileJob): string {
  const compression = job.form.gzip ? 'gzip' : 'uncompressed';
  const path = sqlString(job.path);
  if (job.form.format !== 'csv') {
    const format = job.form.format === 'json' ? 'array' : 'newline_delimited';
    const spec = columns.map(([, f]) => `${sqlString(f)}: '${job.exact ? 'JSON' : 'VARCHAR'}'`).join(', ');
    const value = (c: FieldColumn, f: string) =>
      job.exact ? `trace_jkind("${f}") AS t_${c}, trace_jstr("${f}") AS s_${c}` : `CASE WHEN "${f}" IS NULL THEN 'NULL' ELSE 'VARCHAR' END AS t_${c}, "${f}" AS s_${c}`;
    const cols = columns.map(([c, f]) => value(c, f)).join(', ');
    return `SELECT ordinality - 1 AS record_index, ${cols} FROM read_json(${path}, format = '${format}', records = true, compression = '${compression}', columns = {${spec}}) WITH ORDINALITY`;
  }
  const header = job.form.header!;
  const spec = header.map((_, i) => `c${i}: 'VARCHAR'`).join(', ');
  const field = (c: FieldColumn, f: string) => {
    const i = header.lastIndexOf(f); // a name given twice: the last column, as a lookup by name finds it
    return i < 0 ? `'NULL' AS t_${c}, NULL::VARCHAR AS s_${c}` : `CASE WHEN c${i} IS NULL THEN 'NULL' ELSE 'VARCHAR' END AS t_${c}, c${i} AS s_${c}`;
  };
  const shift = job.rejected.length ? ` + len(list_filter([${job.rejected.map((r, k) => r - k).join(', ')}], a -> a <= ordinality - 1))` : '';
  const options = `auto_detect = false, header = true, delim = ',', quote = '"', escape = '"', compression = '${compression}'${job.rejected.length ? ', ignore_errors = true' : ''}`;
  return `SELECT ordinality - 1${shift} AS record_index, ${columns.map(([c, f]) => field(c, f)).join(', ')} FROM read_csv(${path}, ${options}, columns = {${spec}}) WITH ORDINALITY`;
}

/** Text fields read as text by the fast reading: a value that opens like an object or array may be one. */
const textColumns: FieldColumn[] = ['uri', 'method', 'host', 'client', 'user_agent', 'request_id'];
const suspectSql = `CASE WHEN ${textColumns.map((c) => `left(s_${c}, 1) IN ('{', '[')`).join(' OR ')} THEN '${suspect}' ELSE ${problemSql} END`;

/**
 * `WITH ... checked AS (...)`: each record with its numbers, parsed timestamp (`ts`, `ts_us`), URI (`u`) and first
 * problem. Each step computes what the next ones use, once per record (a macro's argument used twice in its body
 * would be computed twice).
 */
function checkedSql(job: FileJob): string {
  return `WITH input AS (${inputSql(job)}),
  s0 AS (SELECT *, ${numberColumnsSql},
    trace_trim(CASE WHEN t_timestamp = 'VARCHAR' THEN s_timestamp ELSE '' END) AS tstext,
    trace_trim(coalesce(trace_text(t_uri, s_uri), '')) AS utrim FROM input),
  s1 AS (SELECT *, trace_ts_split(tstext) AS ts, trace_uri_unhosted(utrim) AS ubare FROM s0),
  s2 AS (SELECT *, trace_ts_micros(ts) AS ts_us, trace_uri_path(ubare) AS upath, trace_uri_query(ubare) AS uquery FROM s1),
  s3 AS (SELECT *, split_part(upath, '/', -1) AS utail, split_part(upath, '/', -2) AS umid FROM s2),
  s4 AS (SELECT *, trace_uri_split_of(upath, utail, umid) AS usplit FROM s3),
  s5 AS (SELECT *, trace_uri_endpoint(upath, usplit) AS uendpoint FROM s4),
  s6 AS (SELECT *, trace_uri_repository(usplit, uendpoint) AS urepository, trace_uri_reference(usplit, uquery, uendpoint) AS ureference FROM s5),
  checked AS (SELECT *, trace_uri_parts(uendpoint, urepository, ureference) AS u, ${job.exact ? problemSql : suspectSql} AS problem FROM s6)`;
}
