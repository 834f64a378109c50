import type { Db } from './duckdb.js';
import { sqlString } from './duckdb.js';
import { listParts } from './parts.js';
import { datasetSchema, tableNames } from '../model/schema.js';

/**
 * Creates one view per dataset table over the committed Parquet parts of every data dir given (runs and
 * shards), or an empty table of the same shape where a table has no parts yet. A column of the schema that no
 * part has (a dataset written before the column existed) reads as NULL.
 */
export async function attachDataset(db: Db, dataDirs: string[]): Promise<void> {
  const schema = datasetSchema();
  for (const table of tableNames) {
    const parts = dataDirs.flatMap((dir) => listParts(dir, table));
    await db.run(`DROP VIEW IF EXISTS ${table}`);
    await db.run(`DROP TABLE IF EXISTS ${table}`);
    if (parts.length === 0) {
      await db.run(schema.get(table)!.ddl);
    } else {
      const list = parts.map(sqlString).join(', ');
      const read = `read_parquet([${list}], union_by_name = true)`;
      const present = new Set((await db.all<{ column_name: string }>(`DESCRIBE SELECT * FROM ${read}`)).map((c) => c.column_name));
      const missing = schema.get(table)!.columns.filter((c) => !present.has(c.name));
      const extra = missing.map((c) => `, NULL::${c.type} AS ${c.name}`).join('');
      await db.run(`CREATE VIEW ${table} AS SELECT *${extra} FROM ${read}`);
    }
  }
}
