import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoLayout } from '../../../src/demo/demo.js';
import { cli, datasetRows, repoRoot } from '../../support/dataset.js';
import { buildFixtures, type Fixtures } from '../../support/fixtures.js';

let work: string;
let fx: Fixtures;
let demo: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'imgscan-resume-it-'));
  fx = await buildFixtures(join(work, 'fixtures'));
  demo = join(work, 'demo');
  await buildDemoLayout(demo);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

function args(data: string): string[] {
  return ['scan', `oci:${demo}`, `oci:${fx.layouts.main.path}`, `oci:${fx.layouts.mixed.path}`, `oci:${fx.layouts.zstd.path}`, '--data', data, '--workers', '1', '--commit-rows', '1', '--json'];
}

/** Starts a scan and kills it with SIGKILL after `ms`; resolves true when it finished first. */
function killAfter(data: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), ...args(data)], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal === null && code === 0);
    });
  });
}

describe('a scan killed with SIGKILL at any point resumes to the same dataset', () => {
  it('equals an uninterrupted scan after kills at several points', async () => {
    const clean = join(work, 'clean');
    const started = Date.now();
    const run = await cli(args(clean));
    const cleanMs = Date.now() - started;
    expect(run.code).toBe(0);
    const want = await datasetRows(clean);

    // Kill points in tenths of a clean run, each run resuming what the killed ones left: at least three kills
    // land before the work is done, however fast this machine is.
    const step = Math.max(100, Math.round(cleanMs / 10));
    const data = join(work, 'killed');
    let finished = false;
    let kills = 0;
    let sawPartial = false;
    for (let ms = step; !finished && ms < 120_000; ms += step) {
      finished = await killAfter(data, ms);
      if (!finished) kills++;
      if (existsSync(join(data, 'layers')) && !finished) sawPartial ||= readdirSync(join(data, 'layers')).length > 0;
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(sawPartial).toBe(true);
    const resumed = await cli(args(data));
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).layers_read).toBe(0);
    expect(await datasetRows(data)).toEqual(want);
    expect(existsSync(join(data, '_pending')) ? readdirSync(join(data, '_pending')) : []).toEqual([]);
    // Claims of killed runs are cleared by the next writer (their pids are gone).
    expect(readdirSync(join(data, '_claims')).filter((n) => !n.endsWith('.waiting'))).toEqual([]);
  }, 600_000);
});

describe('scans running at the same time into one data dir', () => {
  it('read each layer once and together equal one scan, duplicates included', async () => {
    const clean = join(work, 'clean-once');
    const one = await cli(args(clean));
    expect(one.code).toBe(0);
    const want = await datasetRows(clean);

    const data = join(work, 'concurrent');
    const runs = await Promise.all([cli(args(data)), cli(args(data)), cli(args(data))]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const read = runs.map((r) => JSON.parse(r.stdout).layers_read as number);
    expect(read.reduce((a, b) => a + b, 0)).toBe(JSON.parse(one.stdout).layers_read);
    // datasetRows keeps duplicate rows: equality means no layer, file, image or ref was stored twice.
    expect(await datasetRows(data)).toEqual(want);
    expect(readdirSync(join(data, '_claims'))).toEqual([]);
  }, 600_000);
});
