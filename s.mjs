import { Db } from './dist/src/store/duckdb.js';
import { writeColumns } from './dist/src/store/columns.js';
import { DuckDBDataChunk, INTEGER, UBIGINT, DOUBLE, UTINYINT } from '@duckdb/node-api';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const nb = require('@duckdb/node-bindings');
const db = await Db.open(':memory:', { preserve_insertion_order: 'false' });
const n = 2_000_000;
const ids = new Int32Array(n).map((_, i) => i);
const h = new Uint32Array(2 * n).map(() => (Math.random() * 2 ** 32) >>> 0);
const h2 = new Uint32Array(2 * n).map(() => (Math.random() * 2 ** 32) >>> 0);
const size = new Float64Array(n).map(() => Math.floor(Math.random() * 1e6));
const cls = new Uint8Array(n).map(() => 3);
const copies = new Float64Array(n).fill(2), layers = new Float64Array(n).fill(1);
const names = ['content_id', 'h', 'h2', 'size', 'class', 'copies', 'layers'], kinds = ['i32', 'u64', 'u64', 'f64', 'u8', 'f64', 'f64'], cols = [ids, h, h2, size, cls, copies, layers];
const types = { i32: INTEGER, u8: UTINYINT, f64: DOUBLE, u64: UBIGINT }, bytes = { i32: 4, u8: 1, f64: 8, u64: 8 };
async function direct(table) {
  await db.run(`CREATE OR REPLACE TEMP TABLE ${table} (content_id INTEGER, h UBIGINT, h2 UBIGINT, size DOUBLE, class UTINYINT, copies DOUBLE, layers DOUBLE)`);
  const appender = await db.connection.createAppender(table, 'main', 'temp');
  const chunk = DuckDBDataChunk.create(kinds.map((k) => types[k]), 2048);
  const vectors = kinds.map((_, i) => nb.data_chunk_get_vector(chunk.chunk, i));
  for (let start = 0; start < n; start += 2048) {
    const m = Math.min(2048, n - start);
    nb.data_chunk_set_size(chunk.chunk, m);
    kinds.forEach((k, i) => { const c = cols[i]; const b = bytes[k]; nb.copy_data_to_vector(vectors[i], 0, c.buffer, c.byteOffset + start * b, m * b); });
    appender.appendDataChunk(chunk);
  }
  appender.flushSync(); appender.closeSync();
}
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  await writeColumns(db, 't', names, kinds, cols, n);
  const a = ((performance.now() - t) / 1000).toFixed(2);
  t = performance.now();
  await direct('t2');
  console.log('writeColumns', a, 'direct', ((performance.now() - t) / 1000).toFixed(2));
}
const [x] = await db.all('SELECT count(*) AS n, sum(content_id) AS s, sum(h) AS sh, sum(size) AS ss, sum(class) AS c FROM t');
const [y] = await db.all('SELECT count(*) AS n, sum(content_id) AS s, sum(h) AS sh, sum(size) AS ss, sum(class) AS c FROM t2');
console.log(JSON.stringify(x, (k, v) => typeof v === 'bigint' ? String(v) : v), JSON.stringify(y, (k, v) => typeof v === 'bigint' ? String(v) : v));
