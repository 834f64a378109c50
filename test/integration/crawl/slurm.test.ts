/**
 * The README's Slurm array, run for real: a one-node Slurm cluster on loopback (support/slurm.ts), the README's
 * `crawl.sh` with 3 tasks of 1 CPU against the test registry, every task into one shared data dir, submitted with
 * `sbatch --wait`. Its dataset must equal that of one unsharded crawl of the same registry.
 */
import { readdirSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, datasetRows, repoRoot, type DatasetRows } from '../../support/dataset.js';
import { run, type RunResult } from '../../support/exec.js';
import { alive, slurmTools, startSlurm, type SlurmCluster } from '../../support/slurm.js';
import { missingTools as requireTools } from '../../support/tools.js';
import { tableNames } from '../../../src/model/schema.js';
import { expectedCrawl, missingTools, pushOnePerShard, startWorld, type Expected, type World } from './setup.js';

const missing = [...(await missingTools()), ...(await requireTools(slurmTools, 'Slurm array crawl test'))];

/** The first ```sh block after `heading` in a Markdown file. */
async function scriptAfter(file: string, heading: string): Promise<string> {
  const text = await readFile(join(repoRoot, file), 'utf8');
  const at = text.indexOf(heading);
  expect(at, `${heading} in ${file}`).toBeGreaterThanOrEqual(0);
  const block = /```sh\n(#!\/bin\/sh\n#SBATCH[\s\S]*?)```/.exec(text.slice(at));
  expect(block, `a #!/bin/sh block with #SBATCH lines after ${heading} in ${file}`).not.toBeNull();
  return block![1]!;
}

/** Replaces `from` by `to`, which must occur exactly once (a README that drifts from the test fails here). */
function put(script: string, from: string, to: string): string {
  expect(script.split(from).length - 1, `${JSON.stringify(from)} once in the README's script`).toBe(1);
  return script.replace(from, to);
}

/** One line of the jobcomp/filetxt log as key=value pairs. */
function jobcompRecord(line: string): Record<string, string> {
  return Object.fromEntries(line.trim().split(/\s+/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

const TASKS = 3;

describe.skipIf(missing.length > 0)('a Slurm array crawl (the README\'s crawl.sh) into one shared data dir', () => {
  let world: World;
  let slurm: SlurmCluster | undefined;
  let script: string;
  let submitted: RunResult;
  let jobDir: string;
  let shared: string;
  let whole: string;
  let expected: Expected;
  let one: DatasetRows;

  beforeAll(async () => {
    // The cluster starts while the registry is filled; whichever fails, the other is stopped (afterAll).
    const starting = startSlurm();
    starting.catch(() => undefined);
    world = await startWorld().catch(async (e: unknown) => {
      await starting.then((s) => s.stop(), () => undefined);
      throw e;
    });
    slurm = await starting;
    await pushOnePerShard(world, TASKS);
    jobDir = join(world.tmp, 'job');
    shared = join(world.tmp, 'shared');
    whole = join(world.tmp, 'whole');
    // `imgscan` on the tasks' PATH: this checkout's CLI.
    const bin = join(world.tmp, 'bin');
    await mkdir(bin, { recursive: true });
    await mkdir(jobDir);
    await writeFile(join(bin, 'imgscan'), `#!/bin/sh\nexec '${process.execPath}' '${join(repoRoot, 'bin', 'run.js')}' "$@"\n`);
    await chmod(join(bin, 'imgscan'), 0o755);
    script = await scriptAfter('README.md', '### Scale-out with shards');
    expect(await scriptAfter('docs/crawl.md', '### Slurm array'), 'docs/crawl.md shows the README\'s script').toBe(script);
    script = put(script, '--array=0-7', `--array=0-${TASKS - 1}`);
    script = put(script, 'N=8', `N=${TASKS}`);
    script = put(script, '--cpus-per-task=8', '--cpus-per-task=1');
    script = put(script, 'registry.example.com', world.registry.host);
    script = put(script, '/shared/imgscan', shared);
    await writeFile(join(jobDir, 'crawl.sh'), script);
    const env = { ...slurm.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
    // The same crawl, unsharded and outside Slurm, while the array runs (tasks wait on sbatch's polling too).
    const flags = ['--tags', 'all', '--platform', 'all', '--json', '--workers', '1'];
    const [array, plain] = await Promise.all([
      run('sbatch', ['--wait', 'crawl.sh'], { cwd: jobDir, env, okCodes: [0, 1, 2, 3], timeoutMs: 90_000 }),
      cli(['crawl', world.registry.host, ...flags, '--data', whole]),
    ]);
    submitted = array;
    await slurm.pids();
    expect(plain.code, plain.stderr).toBe(0);
    // Files are compared between the two crawls; the other scan tests check files against GNU tar and b3sum.
    expected = await expectedCrawl(world.registry, world.pushed, { files: false });
    one = await datasetRows(whole);
  }, 240_000);

  afterAll(async () => {
    await slurm?.stop();
    await world?.stop();
  });

  it('sbatch --wait returns 0: every task exited 0', () => {
    expect(submitted.code, submitted.stderr).toBe(0);
    expect(submitted.stdout.toString()).toMatch(/^Submitted batch job \d+\n$/);
  });

  it('ran all three array tasks: Slurm logged each as COMPLETED with exit 0, and each wrote its summary', async () => {
    const job = /Submitted batch job (\d+)/.exec(submitted.stdout.toString())![1]!;
    const records = (await readFile(slurm!.jobcompLog, 'utf8')).split('\n').filter(Boolean).map(jobcompRecord);
    const tasks = records.filter((r) => r.ArrayJobId === job);
    expect(tasks.map((r) => Number(r.ArrayTaskId)).sort()).toEqual([0, 1, 2]);
    for (const r of tasks) expect([r.JobState, r.ExitCode], JSON.stringify(r)).toEqual(['COMPLETED', '0:0']);
    const outputs = readdirSync(jobDir).filter((f) => f.startsWith('crawl-')).sort();
    expect(outputs).toEqual([0, 1, 2].map((i) => `crawl-${job}_${i}.out`));
    const summaries = await Promise.all(outputs.map(async (f) => JSON.parse(await readFile(join(jobDir, f), 'utf8')) as { repositories: number; layers_read: number; failures: number }));
    // Each task got repositories, together all of them, and each layer was read by exactly one task.
    for (const s of summaries) expect(s.repositories).toBeGreaterThan(0);
    expect(summaries.reduce((a, s) => a + s.repositories, 0)).toBe(world.pushed.length);
    expect(summaries.reduce((a, s) => a + s.layers_read, 0)).toBe(expected.layers.length);
    expect(summaries.map((s) => s.failures)).toEqual([0, 0, 0]);
  });

  it('the unsharded crawl stores every layer and ref of the registry (as skopeo and the blob files give them)', () => {
    expect(one.layers.map((l) => l.layer_digest).sort()).toEqual(expected.layers);
    expect(one.image_refs).toEqual(expected.refs);
  });

  it('stores the rows of the unsharded crawl in every table, as sets (only failures.failed_at left out), none twice', async () => {
    // The one run-specific column of the dataset is failures.failed_at (datasetRows leaves it out); there are no
    // run ids. Rows compare sorted, duplicates kept, so a row stored twice would differ.
    const union = await datasetRows(shared);
    for (const t of tableNames) expect(union[t], t).toEqual(one[t]);
    expect(one.files.length).toBeGreaterThan(0);
    expect(readdirSync(join(shared, '_claims')), 'claims left behind').toEqual([]);
    const names = JSON.stringify(readdirSync(shared, { recursive: true }));
    for (const i of [0, 1, 2]) expect(names).toContain(`shard-${i}-of-3`);
  });

  it('stops every daemon: no process of the cluster is left', async () => {
    const pids = await slurm!.pids();
    // munged, slurmctld, slurmd and slurmctld's slurmscriptd run until stopped (job steps have ended by now).
    expect((await alive(pids)).length).toBeGreaterThanOrEqual(4);
    await slurm!.stop();
    slurm = undefined;
    expect(await alive(pids)).toEqual([]);
  });
});
