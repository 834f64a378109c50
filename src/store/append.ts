import './allocator.js';
import { type DuckDBAppender, DuckDBTimestampValue } from '@duckdb/node-api';
import { ImgscanError } from '../errors.js';
import type { Column, ColumnType } from '../model/schema.js';

/** How a value of each column type is appended. */
const appenders: Record<ColumnType, (appender: DuckDBAppender, value: unknown) => void> = {
  VARCHAR: (a, v) => a.appendVarchar(v as string),
  INTEGER: (a, v) => a.appendInteger(v as number),
  BIGINT: (a, v) => a.appendBigInt(BigInt(v as number)),
  UBIGINT: (a, v) => a.appendUBigInt(BigInt(v as number | bigint)),
  DOUBLE: (a, v) => a.appendDouble(v as number),
  BOOLEAN: (a, v) => a.appendBoolean(v as boolean),
  TIMESTAMP: (a, v) => a.appendTimestamp(new DuckDBTimestampValue(BigInt((v as Date).getTime()) * 1000n)),
};

/** Appends one value of a row as the column's type says (NULL only where the column allows it). */
export function appendValue(appender: DuckDBAppender, column: Column, value: unknown): void {
  if (value === null || value === undefined) {
    if (!column.nullable) throw new ImgscanError('INTERNAL', `column ${column.name} may not be null`);
    appender.appendNull();
    return;
  }
  appenders[column.type](appender, value);
}
