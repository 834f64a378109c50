/**
 * `imgscan check IMAGE`: a real image (umoci layout, skopeo docker-archive, pushed to a local CNCF registry)
 * scanned and judged in one command. The figures it judges are computed independently from the layer blobs
 * (gzip / tar / b3sum via test/support/expected.ts, path waste by the in-memory overlay of the reference model),
 * and the thresholds are set on either side of them.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFigures, checksOf, rulesAt as rulesFor, writeConfig, type CheckFigures, expectFailedAtFigures } from '../support/check.js';
import { cli, queryDataset, type CliRun } from '../support/dataset.js';
import { buildFixtures, type Fixtures } from '../support/fixtures.js';
import { push, startRegistry, type TestRegistry } from '../support/registry.js';
import { missingTools } from '../support/tools.js';

let work: string;
let fx: Fixtures;
/** The figures of app1, computed from its blobs. */
let want: CheckFigures;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'imgscan-check-it-'));
  fx = await buildFixtures(join(work, 'fx'));
  want = await checkFigures(fx.images.app1.layerDescriptors.map((l) => l.blob));
  // The fixture is only useful when each figure is non-zero: then a limit can sit on either side of it.
  expect(Math.min(want.files_size, want.path_waste, want.content_waste)).toBeGreaterThan(0);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A config file in a directory of its own; returns its path. */
function config(name: string, text: string): string {
  return writeConfig(join(work, 'configs'), name, text);
}

/** The rules set at app1's figures (limits are inclusive: all pass), or just past them (all fail). */
function rulesAt(edge: 'at' | 'past'): string {
  return rulesFor(want, edge);
}

async function check(image: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return cli(['check', image, '--workers', '1', ...args], env);
}

describe('imgscan check', () => {
  it('passes an image at its limits, one PASS line per rule with the measured value, exit 0', async () => {
    const file = config('at.yml', rulesAt('at'));
    const run = await check(`oci:${fx.layouts.main.path}:app1`, ['--config', file]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['PASS min_image_efficiency', 'PASS max_path_waste', 'PASS max_content_waste', 'PASS max_layers', 'result']);
    expect(lines[1]).toContain(`(${want.path_waste}) <= `);
    expect(lines[3]).toBe(`PASS max_layers: ${want.layers} <= ${want.layers}`);
    expect(lines[4]).toBe('result: PASS (4 rules)');
  });

  it('fails each rule just past the image, exit 4, and says so in JSON with the measured figures', async () => {
    const file = config('past.yml', rulesAt('past'));
    const text = await check(`oci:${fx.layouts.main.path}:app1`, ['--config', file]);
    expect(text.code).toBe(4);
    expect(text.stdout.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL', 'result:']);
    expect(text.stdout).toContain('result: FAIL (4 of 4 rules failed)');
    const run = await check(`oci:${fx.layouts.main.path}:app1`, ['--config', file, '--json']);
    expect(run.code).toBe(4);
    const out = checksOf(run);
    expect(out.passed).toBe(false);
    expect(out.images).toHaveLength(1);
    const i = out.images[0];
    expect(i.manifest_digest).toBe(fx.images.app1.manifestDigest);
    expectFailedAtFigures(i, want);
    expect(out.data_dir).toBeNull();
  });

  it('reads .imgscan-ci.yml in the current directory by default and judges a docker-archive', async () => {
    const dir = join(work, 'repo');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.imgscan-ci.yml'), `rules:\n  max_path_waste: ${want.path_waste}\n  max_layers: ${want.layers}\n`);
    const run = await cli(['check', fx.archives.classic.ref, '--workers', '1', '--json'], {}, dir);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const out = checksOf(run);
    expect(out.config).toBe(join(dir, '.imgscan-ci.yml'));
    expect(out.images.map((i: { path_waste: number; layer_refs: number }) => [i.path_waste, i.layer_refs])).toEqual([[want.path_waste, want.layers]]);
  });

  it('keeps the dataset with --data-dir; without it, its temporary dataset is gone afterwards', async () => {
    const tmp = join(work, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const file = config('at2.yml', rulesAt('at'));
    const run = await check(`oci:${fx.layouts.main.path}:app1`, ['--config', file], { TMPDIR: tmp });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
    const data = join(work, 'kept');
    const kept = await check(`oci:${fx.layouts.main.path}:app1`, ['--config', file, '--data-dir', data, '--json']);
    expect(checksOf(kept).data_dir).toBe(data);
    const rows = await queryDataset<{ manifest_digest: string }>(data, 'SELECT manifest_digest FROM images');
    expect(rows.map((r) => r.manifest_digest)).toEqual([fx.images.app1.manifestDigest]);
  });

  it('judges an image in a registry, read over the distribution API', async () => {
    if ((await missingTools(['docker-registry', 'skopeo'], 'imgscan check on a registry image')).length) return;
    let registry: TestRegistry | undefined;
    try {
      registry = await startRegistry();
      await push(`oci:${fx.layouts.main.path}:app1`, `${registry.host}/team/app1:1.0`, { format: 'oci' });
      const file = config('registry.yml', rulesAt('at'));
      const run = await check(`${registry.host}/team/app1:1.0`, ['--config', file, '--json']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const i = checksOf(run).images[0];
      expect([i.layer_refs, i.files_size, i.path_waste, i.content_waste]).toEqual([want.layers, want.files_size, want.path_waste, want.content_waste]);
    } finally {
      await registry?.stop();
    }
  });

  describe('a bad config is a USAGE error (exit 2) naming the file and the key, before any scan', () => {
    const cases: [string, string, RegExp][] = [
      ['unknown-rule.yml', 'rules:\n  max_layer: 3\n', /unknown-rule\.yml: unknown rule "rules\.max_layer" \(known rules: min_image_efficiency, max_path_waste, max_content_waste, max_layers\)/],
      ['unknown-top.yml', 'rules:\n  max_layers: 3\nextra: 1\n', /unknown-top\.yml: unknown key "extra"/],
      ['bad-size.yml', 'rules:\n  max_path_waste: lots\n', /bad-size\.yml: rules\.max_path_waste: "lots" is not valid; expected .*bytes/],
      ['bad-percent.yml', 'rules:\n  max_content_waste: 150%\n', /bad-percent\.yml: rules\.max_content_waste: "150%" is not valid/],
      ['bad-efficiency.yml', 'rules:\n  min_image_efficiency: 1.5\n', /bad-efficiency\.yml: rules\.min_image_efficiency: 1\.5 is not valid/],
      ['bad-layers.yml', 'rules:\n  max_layers: 2.5\n', /bad-layers\.yml: rules\.max_layers: 2\.5 is not valid; expected .*whole number/],
      ['bad-yaml.yml', 'rules: [\n', /bad-yaml\.yml: not valid YAML/],
      ['empty-rules.yml', 'rules: {}\n', /empty-rules\.yml: rules is empty/],
    ];
    for (const [name, text, message] of cases) {
      it(name, async () => {
        const run = await check(`oci:${fx.layouts.main.path}:app1`, ['--config', config(name, text)]);
        expect(run.code).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(message);
        expect(run.stderr.trim().split('\n')).toHaveLength(1);
      });
    }

    it('a missing config file, as JSON with --json', async () => {
      const run = await check(`oci:${fx.layouts.main.path}:app1`, ['--config', join(work, 'none.yml'), '--json']);
      expect(run.code).toBe(2);
      expect(JSON.parse(run.stdout).error).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/none\.yml: no such file/) });
    });
  });

  it('an image that cannot be read is an error (exit 1), not a verdict', async () => {
    const run = await check(`oci:${join(work, 'no-layout')}:1`, ['--config', config('any.yml', 'rules:\n  max_layers: 3\n')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/not an OCI image layout/);
    expect(existsSync(join(work, 'no-layout'))).toBe(false);
  });
});
