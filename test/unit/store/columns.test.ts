import { describe, expect, it } from 'vitest';
import { readColumns, writeColumns } from '../../../src/store/columns.js';
import { Db } from '../../../src/store/duckdb.js';

describe('typed columns to and from DuckDB', () => {
  it('writes every kind of column over several vectors, from views at an offset, and reads them back the same', async () => {
    const db = await Db.open(':memory:');
    try {
      // Not a multiple of the vector size, and each array a view into a larger buffer at an offset.
      const rows = 5000;
      const view = <T extends Int32Array | Uint8Array | Float64Array | Uint32Array>(make: (n: number) => T, per: number, offset: number): T => make(offset + rows * per + 3).subarray(offset, offset + rows * per) as T;
      const i32 = view((n) => new Int32Array(n), 1, 7);
      const u8 = view((n) => new Uint8Array(n), 1, 5);
      const f64 = view((n) => new Float64Array(n), 1, 3);
      const u64 = view((n) => new Uint32Array(n), 2, 2);
      for (let r = 0; r < rows; r++) {
        i32[r] = r * 7919 - 20_000_000;
        u8[r] = r % 251;
        f64[r] = r * 1.5 + 2 ** 40;
        u64[2 * r] = (r * 2654435761) >>> 0;
        u64[2 * r + 1] = (0xffffffff - r) >>> 0;
      }
      await writeColumns(db, 't', ['a', 'b', 'c', 'd'], ['i32', 'u8', 'f64', 'u64'], [i32, u8, f64, u64], rows);
      // DuckDB's own view of the values, independent of the read below: the 64-bit one as its two words.
      const [check] = await db.all<{ n: bigint; a: bigint; b: bigint; c: number; lo: bigint; hi: bigint }>(
        'SELECT count(*) AS n, sum(a) AS a, sum(b) AS b, sum(c) AS c, sum(d & 4294967295) AS lo, sum(d >> 32) AS hi FROM t');
      const sum = (xs: ArrayLike<number>, step = 1, from = 0) => { let s = 0; for (let i = from; i < xs.length; i += step) s += xs[i]!; return s; };
      expect([Number(check!.n), Number(check!.a), Number(check!.b), check!.c, Number(check!.lo), Number(check!.hi)]).toEqual([rows, sum(i32), sum(u8), sum(f64), sum(u64, 2, 0), sum(u64, 2, 1)]);
      const back = await readColumns(db, 'SELECT a, b, c, d FROM t ORDER BY a', ['i32', 'u8', 'f64', 'u64']);
      expect(back.rows).toBe(rows);
      expect([...(back.columns[0] as Int32Array)]).toEqual([...i32]);
      expect([...(back.columns[1] as Uint8Array)]).toEqual([...u8]);
      expect([...(back.columns[2] as Float64Array)]).toEqual([...f64]);
      expect([...(back.columns[3] as Uint32Array)]).toEqual([...u64]);
      // No value came out NULL.
      const [nulls] = await db.all<{ n: bigint }>('SELECT count(*) AS n FROM t WHERE a IS NULL OR b IS NULL OR c IS NULL OR d IS NULL');
      expect(Number(nulls!.n)).toBe(0);
    } finally {
      db.close();
    }
  });

  it('refuses a query whose column is not of the kind asked for, naming both', async () => {
    const db = await Db.open(':memory:');
    try {
      await expect(readColumns(db, 'SELECT 1::INTEGER, 2::BIGINT', ['i32', 'u64'])).rejects.toThrow('column 2 of the query is BIGINT, UBIGINT expected');
      await expect(readColumns(db, 'SELECT 1::INTEGER', ['i32', 'u64'])).rejects.toThrow('query gives 1 columns, 2 expected');
    } finally {
      db.close();
    }
  });

  it('a query started on the connection while it streams is refused, and the stream reads every row', async () => {
    // DuckDB itself would end the stream early without an error: the read would return a part of the rows.
    const db = await Db.open(':memory:');
    try {
      const read = readColumns(db, 'SELECT i::INTEGER FROM range(3000000) t(i)', ['i32']);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await expect(db.run('CREATE TABLE t AS SELECT 1')).rejects.toThrow('a query was started on a connection that is streaming a result');
      const { rows, columns } = await read;
      expect(rows).toBe(3_000_000);
      expect(columns[0]![2_999_999]).toBe(2_999_999);
      // Another connection runs it meanwhile; this one again once the stream has ended.
      const other = await db.connect();
      await other.run('CREATE TABLE t AS SELECT 1 AS x');
      other.close();
      expect(await db.all('SELECT x FROM t')).toEqual([{ x: 1 }]);
    } finally {
      db.close();
    }
  });

  it('no rows: an empty table of the named columns', async () => {
    const db = await Db.open(':memory:');
    try {
      await writeColumns(db, 'e', ['x'], ['f64'], [new Float64Array(0)], 0);
      const [r] = await db.all<{ n: bigint }>('SELECT count(*) AS n FROM e');
      expect(Number(r!.n)).toBe(0);
    } finally {
      db.close();
    }
  });
});
