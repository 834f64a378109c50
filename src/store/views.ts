import type { Db } from './duckdb.js';
import { sqlString } from './duckdb.js';
import { listParts } from './parts.js';
import { datasetSchema, tableNames } from './schema.js';

/**
 * Creates one view per dataset table over the committed Parquet parts of every data dir given (runs and
 * shards), or an empty table of the same shape where a table has no parts yet.
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
      await db.run(`CREATE VIEW ${table} AS SELECT * FROM read_parquet([${list}], union_by_name = true)`);
    }
  }
}
