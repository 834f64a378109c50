import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { scanColumns } from '../../../src/store/columns.js';
import { Db } from '../../../src/store/duckdb.js';

// src/store/chunks.ts: a chunk DuckDB hands to JS is freed only when V8 collects its wrapper, and a read that makes
// few JS objects triggers no collection by itself. Observed in a child process (a fresh heap, its own peak RSS):
// 12 M rows of six 8-byte columns (576 MB) read a vector at a time. Through `chunksOf` the memory of a chunk is
// used again for later ones and the peak stays far below the result's size; read the plain way, chunk after chunk
// of it stays in memory. The values read are checked against DuckDB's own sums.
const columns = fileURLToPath(new URL('../../../dist/src/store/columns.js', import.meta.url));
const duckdb = fileURLToPath(new URL('../../../dist/src/store/duckdb.js', import.meta.url));
const script = (plain: boolean, n: number) => `
const { readFileSync } = await import('node:fs');
const { scanColumns } = await import(${JSON.stringify(columns)});
const { Db } = await import(${JSON.stringify(duckdb)});
const status = (name) => Number(new RegExp('^' + name + ':\\\\s+(\\\\d+)', 'm').exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const db = await Db.open(':memory:', { threads: '2' });
const sql = 'SELECT i::UBIGINT, (i * 3)::UBIGINT, (i * 5)::UBIGINT, (i * 7)::UBIGINT, (i * 11)::UBIGINT, (i * 13)::UBIGINT FROM range(${n}) t(i)';
await db.all('SELECT 1');
const before = status('VmRSS');
const sums = [0, 0, 0, 0, 0, 0];
let rows = 0;
if (${plain}) {
  const result = await db.connection.stream(sql);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (let c = 0; c < 6; c++) { const items = chunk.getColumnVector(c).items; const words = new Uint32Array(items.buffer, items.byteOffset, 2 * chunk.rowCount); for (let i = 0; i < chunk.rowCount; i++) sums[c] += words[2 * i] & 0xffff; }
    rows += chunk.rowCount;
  }
} else {
  await scanColumns(db, sql, ['u64', 'u64', 'u64', 'u64', 'u64', 'u64'], (cols, n) => {
    for (let c = 0; c < 6; c++) for (let i = 0; i < n; i++) sums[c] += cols[c][2 * i] & 0xffff;
    rows += n;
  });
}
const peak = status('VmHWM') - before;
const [check] = await db.all('SELECT ' + [1, 3, 5, 7, 11, 13].map((k) => 'sum(((i * ' + k + ') & 65535))::DOUBLE').join(', ') + ' AS s FROM range(${n}) t(i)');
db.close();
process.stdout.write(JSON.stringify({ rows, peak, sums, check: Object.values(check).map(Number) }));
`;

function run(plain: boolean, n: number): { rows: number; peak: number; sums: number[]; check: number[] } {
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script(plain, n)], { encoding: 'utf8', maxBuffer: 1 << 20 }));
}

const MB = 2 ** 20;

describe('reading a large result a chunk at a time', () => {
  it('uses the memory of freed chunks again: the peak stays far below the size of the result', () => {
    const rows = 12_000_000;
    const ours = run(false, rows);
    expect(ours.rows).toBe(rows);
    expect(ours.sums).toEqual(ours.check);
    // 576 MB of rows read: what stays is what DuckDB's threads keep for reuse (tens of MB here, idle; more under
    // load, when more of them make chunks), not the rows.
    expect(ours.peak, JSON.stringify(ours)).toBeLessThan(rows * 48 / 2);
    // The same rows fetched without freeing the chunks: their memory piles up.
    const plain = run(true, rows);
    expect(plain.sums).toEqual(ours.check);
    expect(plain.peak, JSON.stringify({ ours: ours.peak, plain: plain.peak })).toBeGreaterThan(2 * ours.peak);
  }, 180_000);
});

describe('the views of a chunk', () => {
  it('stay valid while `each` runs, though collections run in it and DuckDB makes the next chunk meanwhile', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (o?: { type: 'minor' | 'major' }) => void;
    const db = await Db.open(':memory:', { threads: '2' });
    try {
      const sql = 'SELECT ((i * 2654435761) % 4294967296)::UBIGINT AS a, i::DOUBLE AS b FROM range(300000) t(i)';
      let sumA = 0;
      let sumB = 0;
      let rows = 0;
      await scanColumns(db, sql, ['u64', 'f64'], (cols, n) => {
        // A collection in the middle of the read: were the chunk not held, its memory would be freed here and
        // given to the chunk DuckDB is making.
        gc({ type: 'minor' });
        gc({ type: 'major' });
        // Time for DuckDB to make the next chunk, on another thread, in memory just freed if this one was.
        for (const end = performance.now() + 3; performance.now() < end; );
        const [a, b] = cols as [Uint32Array, Float64Array];
        for (let i = 0; i < n; i++) {
          sumA += a[2 * i]!;
          sumB += b[i]!;
        }
        rows += n;
      });
      const [check] = await db.all<{ a: number; b: number; n: bigint }>(`SELECT sum(a)::DOUBLE AS a, sum(b) AS b, count(*) AS n FROM (${sql})`);
      expect(rows).toBe(Number(check!.n));
      expect(sumA).toBe(check!.a);
      expect(sumB).toBe(check!.b);
    } finally {
      db.close();
    }
  });
});
