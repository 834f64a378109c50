import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

export type ColumnType = 'VARCHAR' | 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP';

export interface Column {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

export interface TableSchema {
  name: string;
  ddl: string;
  columns: Column[];
}

/** Parses schemas/tables.sql: the single source of table and column names. */
export function parseSchema(sql: string): Map<string, TableSchema> {
  const tables = new Map<string, TableSchema>();
  const withoutComments = sql.replace(/--[^\n]*/g, '');
  for (const match of withoutComments.matchAll(/CREATE TABLE (\w+) \(([\s\S]*?)\);/g)) {
    const [ddl, name, body] = match;
    const columns = body
      .split(',')
      .map((line) => line.trim())
      .filter(Boolean)
      .map((line) => {
        const [col, type] = line.split(/\s+/);
        return { name: col, type: type as ColumnType, nullable: !/NOT NULL/.test(line) };
      });
    tables.set(name, { name, ddl, columns });
  }
  return tables;
}

let cached: Map<string, TableSchema> | undefined;

export function datasetSchema(): Map<string, TableSchema> {
  cached ??= parseSchema(readFileSync(join(packageRoot, 'schemas', 'tables.sql'), 'utf8'));
  return cached;
}

export const tableNames = ['images', 'image_refs', 'image_layers', 'image_history', 'layers', 'files', 'chunks', 'failures'] as const;
export type TableName = (typeof tableNames)[number];
