import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImgscanError } from '../errors.js';
import { packageRoot } from '../paths.js';

/**
 * The analysis SQL lives in src/analysis/sql/*.sql (shipped with the package, read relative to its root), one
 * query or script per file. A file may hold `{{name}}` placeholders: numbers are inserted as literals (they
 * must be finite), strings as given, so callers pass SQL they built (identifiers, or literals from sqlString).
 */
export type SqlParams = Record<string, string | number>;

export const sqlDir = join(packageRoot, 'src', 'analysis', 'sql');

const cache = new Map<string, string>();

export function sqlFile(name: string, params: SqlParams = {}): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(sqlDir, `${name}.sql`), 'utf8');
    cache.set(name, text);
  }
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new ImgscanError('INTERNAL', `${name}.sql needs a value for {{${key}}}`);
    if (typeof value === 'number' && !Number.isFinite(value)) throw new ImgscanError('INTERNAL', `${name}.sql: {{${key}}} is not a finite number`);
    return String(value);
  });
}
