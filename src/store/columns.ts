import './allocator.js';
import { DuckDBDataChunk, type DuckDBResult, type DuckDBType, DuckDBTypeId, DOUBLE, INTEGER, UBIGINT, UTINYINT } from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
import { ImgscanError } from '../errors.js';
import { keepAlive } from './chunks.js';
import type { Db } from './duckdb.js';

/**
 * Whole columns between DuckDB and typed arrays, a vector (2,048 values) at a time, without a JS value per row:
 * what the typed-array kernels of src/analysis read and write. A column is one of four kinds:
 * - `i32`: INTEGER, as an Int32Array;
 * - `u8`: UTINYINT, as a Uint8Array;
 * - `f64`: DOUBLE, as a Float64Array (a BIGINT byte count cast to DOUBLE in the query stays exact below 2^53);
 * - `u64`: UBIGINT, as a Uint32Array of two words per value, low word first (no BigInt per value).
 * Values must not be NULL: the query says what a missing value is (coalesce).
 */
export type ColumnKind = 'i32' | 'u8' | 'f64' | 'u64';

export type ColumnArray = Int32Array | Uint8Array | Float64Array | Uint32Array;

export interface Columns {
  rows: number;
  columns: ColumnArray[];
}

const words: Record<ColumnKind, number> = { i32: 1, u8: 1, f64: 1, u64: 2 };

/** Bytes of one value of each kind, in DuckDB's vector and in the typed array alike. */
const valueBytes: Record<ColumnKind, number> = { i32: 4, u8: 1, f64: 8, u64: 8 };

function allocate(kind: ColumnKind, length: number): ColumnArray {
  const n = length * words[kind];
  if (kind === 'i32') return new Int32Array(n);
  if (kind === 'u8') return new Uint8Array(n);
  if (kind === 'f64') return new Float64Array(n);
  return new Uint32Array(n);
}

function grow(kind: ColumnKind, array: ColumnArray, rows: number): ColumnArray {
  const bigger = allocate(kind, rows);
  bigger.set(array as never);
  return bigger;
}

/** The DuckDB type of each kind, as a result reports it. */
const typeIds: Record<ColumnKind, DuckDBTypeId> = { i32: DuckDBTypeId.INTEGER, u8: DuckDBTypeId.UTINYINT, f64: DuckDBTypeId.DOUBLE, u64: DuckDBTypeId.UBIGINT };

/** The values of a vector as the typed array of its kind: a view of the data DuckDB hands over, not a copy. */
function vectorItems(vector: bindings.Vector, kind: ColumnKind, rows: number): ColumnArray {
  const data = bindings.vector_get_data(vector, rows * valueBytes[kind]);
  const length = rows * words[kind];
  if (kind === 'i32') return new Int32Array(data.buffer, data.byteOffset, length);
  if (kind === 'u8') return data;
  if (kind === 'f64') return new Float64Array(data.buffer, data.byteOffset, length);
  return new Uint32Array(data.buffer, data.byteOffset, length);
}


/**
 * Runs a query and hands its result to `each` a vector at a time: one typed array per column (views valid only
 * during the call) and the number of rows. The vectors are read through the bindings: `@duckdb/node-api`'s chunk
 * and vector objects cost about 45 us a chunk more, a fifth of a second of the main thread for 10 M rows.
 */
export async function scanColumns(db: Db, sql: string, kinds: readonly ColumnKind[], each: (columns: ColumnArray[], rows: number) => void): Promise<void> {
  const check = (result: DuckDBResult) => {
    if (result.columnCount !== kinds.length) throw new ImgscanError('INTERNAL', `query gives ${result.columnCount} columns, ${kinds.length} expected`);
    kinds.forEach((kind, i) => {
      if (result.columnTypeId(i) !== typeIds[kind]) throw new ImgscanError('INTERNAL', `column ${i + 1} of the query is ${DuckDBTypeId[result.columnTypeId(i)]}, ${DuckDBTypeId[typeIds[kind]]} expected`);
    });
  };
  for await (const chunk of db.stream(sql, check)) {
    const n = chunk.rowCount;
    each(kinds.map((kind, i) => vectorItems(bindings.data_chunk_get_vector(chunk.chunk, i), kind, n)), n);
    keepAlive(chunk);
  }
}

/** Runs a query and reads its whole result into one typed array per column, in result order. */
export async function readColumns(db: Db, sql: string, kinds: readonly ColumnKind[]): Promise<Columns> {
  let capacity = 1 << 12;
  let columns = kinds.map((k) => allocate(k, capacity));
  let rows = 0;
  await scanColumns(db, sql, kinds, (chunk, n) => {
    if (rows + n > capacity) {
      capacity = Math.max(capacity * 2, rows + n);
      columns = columns.map((c, i) => grow(kinds[i], c, capacity));
    }
    chunk.forEach((values, i) => (columns[i] as Uint8Array).set(values as Uint8Array, rows * words[kinds[i]]));
    rows += n;
  });
  return { rows, columns: columns.map((c, i) => c.subarray(0, rows * words[kinds[i]])) };
}

const types: Record<ColumnKind, DuckDBType> = { i32: INTEGER, u8: UTINYINT, f64: DOUBLE, u64: UBIGINT };
const sqlTypes: Record<ColumnKind, string> = { i32: 'INTEGER', u8: 'UTINYINT', f64: 'DOUBLE', u64: 'UBIGINT' };

/**
 * Creates (or replaces) a table of the named columns and appends the typed arrays to it, a vector at
 * a time. `rows` values are taken from each array. One chunk is filled again and again: each column's values are
 * copied once, straight from the array into DuckDB's vector (the bindings' `copy_data_to_vector`), where the
 * vector objects of `@duckdb/node-api` would copy them out, into and back (2.3x the time for 2 M rows of seven
 * columns). A new chunk's vectors have no NULLs, and the columns hold none.
 */
export async function writeColumns(db: Db, table: string, names: readonly string[], kinds: readonly ColumnKind[], columns: readonly ColumnArray[], rows: number): Promise<void> {
  await db.run(`CREATE OR REPLACE TABLE ${table} (${names.map((n, i) => `${n} ${sqlTypes[kinds[i]]}`).join(', ')})`);
  const appender = await db.connection.createAppender(table);
  try {
    const size = bindings.vector_size();
    const chunk = DuckDBDataChunk.create(kinds.map((k) => types[k]), size);
    const vectors = kinds.map((_, i) => bindings.data_chunk_get_vector(chunk.chunk, i));
    for (let start = 0; start < rows; start += size) {
      const n = Math.min(size, rows - start);
      bindings.data_chunk_set_size(chunk.chunk, n);
      columns.forEach((column, i) => bindings.copy_data_to_vector(vectors[i], 0, column.buffer as ArrayBuffer, column.byteOffset + start * valueBytes[kinds[i]], n * valueBytes[kinds[i]]));
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
