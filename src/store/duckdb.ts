import './allocator.js';
import { statfsSync } from 'node:fs';
import { DuckDBConnection, type DuckDBDataChunk, DuckDBInstance, type DuckDBResult } from '@duckdb/node-api';
import { chunksOf } from './chunks.js';
import { ImgscanError } from '../errors.js';

/** An in-process DuckDB database (in memory unless a path is given) with one connection. */
export class Db {
  private constructor(
    readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    /** False for a further connection (`connect`): closing it leaves the database open. */
    private readonly owner = true,
  ) {}

  static async open(path = ':memory:', options: Record<string, string> = {}): Promise<Db> {
    const instance = await DuckDBInstance.create(path, options);
    const connection = await instance.connect();
    return new Db(instance, connection);
  }

  async run(sql: string): Promise<void> {
    this.idle();
    await this.connection.run(sql);
  }

  /** Runs a query and returns its rows as plain objects (BIGINT as bigint, see `num`). */
  async all<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    this.idle();
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as T[];
  }

  /**
   * Streams a query's result a chunk at a time (`chunksOf`, src/store/chunks.ts); `check` sees the result before
   * its first chunk. Until the stream ends or its reader stops, `run` and `all` on this connection throw: DuckDB
   * would end the stream early, silently (the reader would take a part of the rows for all of them). Queries meant
   * to run meanwhile go to another connection (`connect`).
   */
  async *stream(sql: string, check?: (result: DuckDBResult) => void): AsyncGenerator<DuckDBDataChunk> {
    this.idle();
    this.streaming = true;
    try {
      const result = await this.connection.stream(sql);
      check?.(result);
      yield* chunksOf(result);
    } finally {
      this.streaming = false;
    }
  }

  private streaming = false;

  private idle(): void {
    if (this.streaming) throw new ImgscanError('INTERNAL', 'a query was started on a connection that is streaming a result (it would end the stream early): use another connection');
  }

  /**
   * Another connection to the same database, for queries that run beside this one's: it sees the database's
   * tables and views, not this connection's temporary ones. Close it before the database.
   */
  async connect(): Promise<Db> {
    return new Db(this.instance, await this.instance.connect(), false);
  }

  close(): void {
    this.connection.closeSync();
    if (this.owner) this.instance.closeSync();
  }
}

/** A SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Converts a DuckDB numeric result (number or bigint) to a JS number. */
export function num(value: unknown): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  if (value === null || value === undefined) return 0;
  return Number(value);
}

/**
 * No room to spill where DIR lies. DuckDB, finding none, may report a block it could not pin, with the memory it
 * holds and its limit ("failed to pin block of size 256.0 KiB (15.0 MiB/15.2 MiB used)"): memory was full and
 * nothing could be written out. That is a full disk when less than 1 MiB is free, or less than the memory limit
 * (it may have removed its spill files by the time the free space is read, so a little is free again).
 */
function nearlyFull(dir: string, text: string): boolean {
  let free: number;
  try {
    const fs = statfsSync(dir);
    free = fs.bavail * fs.bsize;
  } catch {
    return false;
  }
  const pin = /failed to pin block[^(]*\([\d.]+ \w+\/([\d.]+) (KiB|MiB|GiB) used\)/i.exec(text);
  const limit = pin ? Number(pin[1]) * 1024 ** (['KiB', 'MiB', 'GiB'].indexOf(pin[2]) + 1) : 0;
  return free < Math.max(1024 * 1024, limit);
}

/** DuckDB's words (and the file system's) for a full disk: a spill that found no room, or a write that failed. */
const diskFull = /No space left on device|ENOSPC|failed to offload data block|max_temp_directory_size|disk is full/i;

/**
 * The one mapping of an error met while staging or writing dataset rows (DuckDB or file system) to STORE: what
 * was being done, where (the directory), and the cause in one line, not DuckDB's tuning advice. A full disk
 * says so. An ImgscanError passes through.
 */
export function storeError(err: unknown, doing: string, dir: string): ImgscanError {
  if (err instanceof ImgscanError) return err;
  const text = err instanceof Error ? err.message : String(err);
  const first = text.split('\n')[0].trim();
  const reason = diskFull.test(text) || nearlyFull(dir, text) ? `no space left on the file system of ${dir} (${first})` : first;
  return new ImgscanError('STORE', `${doing}: ${reason}`, { path: dir }, { cause: err });
}
