/**
 * The row types of src/model/rows.ts are the tables of schemas/tables.sql: the same tables, the same columns in
 * the same order, NULL allowed exactly where the type allows null. Read from the source text, since types leave
 * nothing at run time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetSchema, tableNames } from '../../../src/model/schema.js';

const root = join(import.meta.dirname, '..', '..', '..');
const source = readFileSync(join(root, 'src', 'model', 'rows.ts'), 'utf8');

/** Fields of an interface as `name` or `name?null` (nullable), in order; comments dropped. */
function fields(name: string): string[] {
  const body = new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1] ?? '';
  return [...body.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/^\s+(\w+)\??:\s*([^;]+);/gm)].map(([, f, t]) => (/\bnull\b/.test(t) ? `${f}?null` : f));
}

/** The interface each table's rows have, from `TableRows`. */
const rowTypes = Object.fromEntries(fields('TableRows').map((f) => [f, new RegExp(`\\b${f}:\\s*(\\w+);`).exec(/export interface TableRows \{([\s\S]*?)\n\}/.exec(source)![1])![1]]));

describe('row types and schemas/tables.sql', () => {
  it('TableRows names every table of the schema, and tableNames lists them', () => {
    expect(Object.keys(rowTypes).sort()).toEqual([...datasetSchema().keys()].sort());
    expect([...tableNames].sort()).toEqual([...datasetSchema().keys()].sort());
  });

  for (const [table, type] of Object.entries(rowTypes)) {
    it(`${type} has the columns of ${table} but the generated ones, in order, nullable where the column is`, () => {
      const columns = datasetSchema().get(table)!.given.map((c) => (c.nullable ? `${c.name}?null` : c.name));
      expect(fields(type)).toEqual(columns);
    });
  }

  it('reads the generated columns: the content keys of files, each with its expression', () => {
    const generated = datasetSchema().get('files')!.columns.filter((c) => c.expression !== undefined);
    expect(generated.map((c) => [c.name, c.type])).toEqual([['content_key1', 'UBIGINT'], ['content_key2', 'UBIGINT']]);
    for (const c of generated) expect(c.expression).toMatch(/^CASE WHEN digest IS NULL THEN NULL .* END$/);
  });

  it('reads the fields it compares: a type with a nullable field and a comment', () => {
    expect(fields('LayerRow')).toContain('sparse_hole_size');
    expect(fields('ImageRow')).toContain('os?null');
  });
});
