/**
 * Validates a command's `--json` output against its schema in schemas/ with ajv (JSON Schema 2020-12, strict
 * mode, every error reported), and holds every key of the output, at any depth, to snake_case. Every schema of
 * schemas/ is loaded, so that one may refer to another (demo's scan counts, analyze's summary).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

export const schemaDir = join(import.meta.dirname, '..', '..', 'schemas');
const base = 'https://imgscan.dev/schemas/';
let ajv: Ajv2020 | undefined;

/** The names of the schemas in schemas/ (NAME of NAME.schema.json). */
export function schemaNames(): string[] {
  return readdirSync(schemaDir)
    .filter((f) => f.endsWith('.schema.json'))
    .map((f) => f.slice(0, -'.schema.json'.length))
    .sort();
}

function validator(): Ajv2020 {
  if (ajv) return ajv;
  ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  for (const name of schemaNames()) {
    const schema = JSON.parse(readFileSync(join(schemaDir, `${name}.schema.json`), 'utf8'));
    if (schema.$id !== `${base}${name}.schema.json`) throw new TypeError(`schemas/${name}.schema.json: $id ${schema.$id} does not match its file name`);
    ajv.addSchema(schema);
  }
  return ajv;
}

/** Keys of `value` (recursively) that are not snake_case, as JSON paths. */
export function nonSnakeKeys(value: unknown, at = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => nonSnakeKeys(v, `${at}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [...(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(k) ? [] : [`${at}.${k}`]), ...nonSnakeKeys(v, `${at}.${k}`)]);
}

/** Every way `value` breaks schemas/NAME.schema.json or the snake_case rule; [] when it conforms. */
export function validateAgainst(name: string, value: unknown): string[] {
  const validate = validator().getSchema(`${base}${name}.schema.json`);
  if (!validate) throw new TypeError(`no schema schemas/${name}.schema.json`);
  const errors = validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  return [...errors, ...nonSnakeKeys(value).map((k) => `${k} is not snake_case`)];
}
