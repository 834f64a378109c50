/**
 * Every command's `--json` output, from real runs (an umoci layout, the same image in a local registry, the IBM
 * trace sample), validated against its schema in schemas/ with ajv (strict: required keys, types, no keys the
 * schema does not name) and held to snake_case keys at every depth. Run-to-run timings appear only when asked for.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, repoRoot } from '../support/dataset.js';
import { nonSnakeKeys, schemaNames, validateAgainst } from '../support/json-schema.js';
import { buildLayout, push, startRegistry, type TestRegistry } from '../support/registry.js';
import { missingTools } from '../support/tools.js';

let work: string;
let layout: string;
let data: string;
let skip = false;
const validated = new Set<string>();
/** Schemas whose test was skipped for a missing tool (never under CI). */
const skipped = new Set<string>();
const sample = join(repoRoot, 'test', 'data', 'ibm-dal09-blobs-sample.csv');

/** Runs the command with --json, expects `code`, validates its output against schemas/NAME.schema.json. */
async function valid(name: string, args: string[], code = 0): Promise<any> {
  const r = await cli([...args, '--json']);
  expect(r.code, `${args.join(' ')}\n${r.stdout.slice(0, 2000)}\n${r.stderr}`).toBe(code);
  const out = JSON.parse(r.stdout);
  expect(validateAgainst(name, out), args.join(' ')).toEqual([]);
  expect(out.schema_version).toBe(1);
  validated.add(name);
  return out;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'imgscan-schemas-'));
  skip = (await missingTools(['umoci'], 'JSON Schema tests of the image commands')).length > 0;
  if (skip) return;
  const files = join(work, 'files');
  mkdirSync(files);
  writeFileSync(join(files, 'a'), Buffer.alloc(5000, 'a'));
  writeFileSync(join(files, 'b'), Buffer.alloc(3000, 'b'));
  layout = join(work, 'layout');
  await buildLayout(layout, 'v1', { files: [[join(files, 'a'), '/a'], [join(files, 'b'), '/b'], [join(files, 'a'), '/a']] });
  await buildLayout(layout, 'v2', { files: [[join(files, 'b'), '/b'], [join(files, 'a'), '/copy-of-a']] });
  data = join(work, 'data');
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the schemas validate what is checked against them', () => {
  it('a key the schema does not name, a missing key, a wrong type and a camelCase key are each refused', () => {
    const good = { schema_version: 1, images: 1, images_stored: 1, images_already_stored: 0, image_refs_added: 1, layers_read: 2, layers_skipped: 0, layers_foreign: 0, files: 2, compressed_bytes: 10, tar_bytes: 20, failures: 0 };
    expect(validateAgainst('scan', good)).toEqual([]);
    expect(validateAgainst('scan', { ...good, extra: 1 }).join()).toMatch(/additional properties/);
    const { failures: _, ...missing } = good;
    expect(validateAgainst('scan', missing).join()).toMatch(/must have required property 'failures'/);
    expect(validateAgainst('scan', { ...good, files: 1.5 }).join()).toMatch(/\/files must be integer/);
    expect(validateAgainst('scan', { ...good, schema_version: 2 }).join()).toMatch(/schema_version must be equal to constant/);
    expect(nonSnakeKeys({ a_b: { cD: [{ e_f: 1, Gh: 2 }] } })).toEqual(['$.a_b.cD', '$.a_b.cD[0].Gh']);
  });
});

describe('image commands', () => {
  it('scan, analyze (timings only with --timings), analyze --image, diff, check', async () => {
    if (skip) return;
    await valid('scan', ['scan', `oci:${layout}`, '--data', data, '--workers', '1']);
    const analyzed = await valid('analyze', ['analyze', '--data', data, '--out', join(work, 'report')]);
    expect(analyzed).not.toHaveProperty('seconds');
    const timed = await valid('analyze', ['analyze', '--data', data, '--out', join(work, 'report'), '--format', 'json', '--timings']);
    expect(timed.seconds.queries).toBeGreaterThan(0);
    const image = await valid('analyze-image', ['analyze', '--data', data, '--image', `oci:${layout}:v1`]);
    expect(image.images).toHaveLength(1);
    await valid('analyze-image', ['analyze', '--data', data, '--image', `oci:${layout}:v1`, '--min-efficiency', '100%'], 4);
    const diff = await valid('diff', ['diff', `oci:${layout}:v1`, `oci:${layout}:v2`, '--data', data]);
    expect(diff.changes.length).toBeGreaterThan(0);
    const config = join(work, 'ci.yml');
    writeFileSync(config, 'rules:\n  min_image_efficiency: 10%\n  max_path_waste: 1GB\n  max_content_waste: 50%\n  max_layers: 30\n');
    await valid('check', ['check', `oci:${layout}:v1`, '--config', config, '--workers', '1']);
    writeFileSync(config, 'rules:\n  max_layers: 1\n');
    await valid('check', ['check', `oci:${layout}:v1`, '--config', config, '--workers', '1', '--data-dir', join(work, 'check-data')], 4);
  }, 600_000);

  it('crawl', async () => {
    if (skip || (await missingTools(['docker-registry', 'skopeo'], 'the crawl --json schema test')).length) return void skipped.add('crawl');
    let registry: TestRegistry | undefined;
    try {
      registry = await startRegistry();
      await push(`oci:${layout}:v1`, `${registry.host}/team/app:v1`, { format: 'oci' });
      const out = await valid('crawl', ['crawl', registry.host, '--tags', 'all', '--data', join(work, 'crawl-data'), '--workers', '1']);
      expect(out.repositories).toBe(1);
      expect(out.images_stored).toBe(1);
    } finally {
      await registry?.stop();
    }
  }, 300_000);

  it('demo', async () => {
    await valid('demo', ['demo', '--dir', join(work, 'demo')]);
  }, 600_000);
});

describe('trace commands', () => {
  const traceData = () => join(work, 'trace');

  it('ingest (seconds only with --timings), analyze, simulate with both models', async () => {
    const ingested = await valid('trace-ingest', ['trace', 'ingest', sample, '--data', traceData()]);
    expect(ingested).not.toHaveProperty('seconds');
    const timed = await valid('trace-ingest', ['trace', 'ingest', sample, '--data', traceData(), '--timings']);
    expect(timed.seconds).toBeGreaterThan(0);
    await valid('trace-analyze', ['trace', 'analyze', '--data', traceData(), '--out', join(work, 'trace-report')]);
    await valid('trace-simulate', ['trace', 'simulate', '--data', traceData(), '--out', join(work, 'sim'), '--sizes', '16MiB,1GiB', '--prefetch-timeouts', '1m']);
    const fast18 = await valid('trace-simulate', ['trace', 'simulate', '--data', traceData(), '--out', join(work, 'sim18'), '--model', 'fast18', '--sizes', '16MiB']);
    expect(fast18.model).toBe('fast18');
  }, 600_000);
});

describe('coverage', () => {
  it('every schema in schemas/ was validated against a real output (summary through analyze, and by the analyze tests)', () => {
    if (skip) return;
    expect([...validated].sort()).toEqual(schemaNames().filter((n) => n !== 'summary' && !skipped.has(n)));
  });
});
