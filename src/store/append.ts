import { type DuckDBAppender, DuckDBTimestampValue } from '@duckdb/node-api';
import { ImgscanError } from '../errors.js';
import type { Column } from '../model/schema.js';

/** Appends one value of a row as the column's type says (NULL only where the column allows it). */
export function appendValue(appender: DuckDBAppender, column: Column, value: unknown): void {
  if (value === null || value === undefined) {
    if (!column.nullable) throw new ImgscanError('INTERNAL', `column ${column.name} may not be null`);
    appender.appendNull();
    return;
  }
  switch (column.type) {
    case 'VARCHAR':
      appender.appendVarchar(value as string);
      break;
    case 'INTEGER':
      appender.appendInteger(value as number);
      break;
    case 'BIGINT':
      appender.appendBigInt(BigInt(value as number));
      break;
    case 'DOUBLE':
      appender.appendDouble(value as number);
      break;
    case 'BOOLEAN':
      appender.appendBoolean(value as boolean);
      break;
    case 'TIMESTAMP':
      appender.appendTimestamp(new DuckDBTimestampValue(BigInt((value as Date).getTime()) * 1000n));
      break;
  }
}
