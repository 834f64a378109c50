/**
 * Validates a command's `--json` output against its schema in schemas/ with ajv (JSON Schema 2020-12, strict
 * mode, every error reported), and holds every key of the output, at any depth, to snake_case.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

const schemas = join(import.meta.dirname, '..', '..', 'schemas');
const ajv = new Ajv2020({ strict: true, allErrors: true });
const compiled = new Map<string, ReturnType<Ajv2020['compile']>>();

/** The schema file of a command's output: schemas/NAME.schema.json. */
export function schemaFile(name: string): string {
  return join(schemas, `${name}.schema.json`);
}

/** Keys of `value` (recursively) that are not snake_case, as JSON paths. */
export function nonSnakeKeys(value: unknown, at = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => nonSnakeKeys(v, `${at}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [...(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(k) ? [] : [`${at}.${k}`]), ...nonSnakeKeys(v, `${at}.${k}`)]);
}

/** Every way `value` breaks schemas/NAME.schema.json or the snake_case rule; [] when it conforms. */
export function validateAgainst(name: string, value: unknown): string[] {
  let validate = compiled.get(name);
  if (!validate) {
    validate = ajv.compile(JSON.parse(readFileSync(schemaFile(name), 'utf8')));
    compiled.set(name, validate);
  }
  const errors = validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  return [...errors, ...nonSnakeKeys(value).map((k) => `${k} is not snake_case`)];
}
