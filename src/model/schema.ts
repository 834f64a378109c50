import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

export type ColumnType = 'VARCHAR' | 'INTEGER' | 'BIGINT' | 'UBIGINT' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP';

export interface Column {
  name: string;
  type: ColumnType;
  nullable: boolean;
  /**
   * For a generated column (GENERATED ALWAYS AS), its SQL expression over the other columns of its row: such a
   * column is written to Parquet, never appended.
   */
  expression?: string;
}

export interface TableSchema {
  name: string;
  ddl: string;
  columns: Column[];
  /** The columns a row gives, in table order: all but the generated ones (DuckDB computes those). */
  given: Column[];
}

/** Parses schemas/tables.sql: the single source of table and column names. */
export function parseSchema(sql: string): Map<string, TableSchema> {
  const tables = new Map<string, TableSchema>();
  const withoutComments = sql.replace(/--[^\n]*/g, '');
  for (const match of withoutComments.matchAll(/CREATE TABLE (\w+) \(([\s\S]*?)\);/g)) {
    const [ddl, name, body] = match;
    const columns = topLevelItems(body)
      .map((line) => line.trim())
      .filter(Boolean)
      .map((line) => {
        const [col, type] = line.split(/\s+/);
        const expression = /\bGENERATED ALWAYS AS \(([\s\S]*)\)$/.exec(line)?.[1]?.replace(/\s+/g, ' ');
        return { name: col, type: type as ColumnType, nullable: !/NOT NULL/.test(line), ...(expression ? { expression } : {}) };
      });
    tables.set(name, { name, ddl, columns, given: columns.filter((c) => c.expression === undefined) });
  }
  return tables;
}

/** The comma-separated items of a column list, without splitting inside parentheses or quotes. */
function topLevelItems(body: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && c === ',') {
      items.push(body.slice(from, i));
      from = i + 1;
    }
  }
  items.push(body.slice(from));
  return items;
}

let cached: Map<string, TableSchema> | undefined;

export function datasetSchema(): Map<string, TableSchema> {
  cached ??= parseSchema(readFileSync(join(packageRoot, 'schemas', 'tables.sql'), 'utf8'));
  return cached;
}

/** The generated columns of a table as SQL select items (`expression AS name`), for rows made outside the writer. */
export function generatedColumns(table: string): string[] {
  return datasetSchema().get(table)!.columns.filter((c) => c.expression).map((c) => `${c.expression} AS ${c.name}`);
}

export const tableNames = ['images', 'image_refs', 'image_layers', 'image_history', 'layers', 'files', 'chunks', 'failures'] as const;
export type TableName = (typeof tableNames)[number];
