/**
 * What a new user meets first: USAGE lines, topics, a mistyped command, a path given without its scheme, the
 * progress line of a re-scan, the error of a source that cannot be opened, and a dataset only failed scans wrote.
 * Images are built with umoci from files written here; counts are read from the layout's own JSON.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, repoRoot } from '../support/dataset.js';
import { run } from '../support/exec.js';
import { buildLayout } from '../support/registry.js';
import { missingTools } from '../support/tools.js';

let work: string;
let layout: string;
let skip = false;

/** The layer digests of the layout's image TAG, read from its index and manifest. */
function layerDigests(dir: string, tag: string): string[] {
  const blob = (digest: string) => JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), 'utf8'));
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const desc = index.manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  return blob(desc.digest).layers.map((l: { digest: string }) => l.digest);
}

/** The progress lines of a run's stderr (stderr is not a terminal here: each redraw is a line). */
function progressLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('images '));
}

beforeAll(async () => {
  skip = (await missingTools(['umoci'], 'CLI polish tests on built layouts')).length > 0;
  work = mkdtempSync(join(tmpdir(), 'imgscan-polish-'));
  if (skip) return;
  const files = join(work, 'files');
  mkdirSync(files);
  for (const [name, bytes] of [['a', 3000], ['b', 5000], ['c', 7000]] as const) writeFileSync(join(files, name), Buffer.alloc(bytes, name));
  layout = join(work, 'layout');
  await buildLayout(layout, 'v1', { files: [[join(files, 'a'), '/a'], [join(files, 'b'), '/b']] });
  await buildLayout(layout, 'v2', { files: [[join(files, 'a'), '/a'], [join(files, 'c'), '/c']] });
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('help', () => {
  it('USAGE of scan and crawl shows their SOURCE and TARGET arguments', async () => {
    expect((await cli(['scan', '--help'])).stdout).toMatch(/USAGE\n\s+\$ imgscan scan \[SOURCE\.\.\.\]/);
    expect((await cli(['crawl', '--help'])).stdout).toMatch(/USAGE\n\s+\$ imgscan crawl \[TARGET\.\.\.\]/);
    expect((await cli(['check', '--help'])).stdout).toMatch(/USAGE\n\s+\$ imgscan check IMAGE/);
  });

  it('the trace topic has its own description, the one package.json gives it', async () => {
    const description: string = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).oclif.topics.trace.description;
    const help = (await cli(['--help'])).stdout;
    const topic = /TOPICS\n\s+trace\s+([\s\S]*?)\n\n/.exec(help)![1].replace(/\s+/g, ' ');
    expect(topic).toBe(description);
    // Not the summary of one of its commands.
    expect(topic).not.toBe((await cli(['trace', 'analyze', '--help'])).stdout.split('\n')[0]);
  });
});

describe('a mistyped command', () => {
  it('without a terminal: names the closest command, exit 127', async () => {
    for (const [typed, meant] of [[['scna'], 'imgscan scan'], [['trace', 'simulat'], 'imgscan trace simulate'], [['anlyze', '--data', 'x'], 'imgscan analyze']] as const) {
      const r = await cli([...typed]);
      expect(r.code, typed.join(' ')).toBe(127);
      expect(r.stderr).toContain(`did you mean \`${meant}\`?`);
    }
    const far = await cli(['xyzzyplugh']);
    expect(far.code).toBe(127);
    expect(far.stderr).not.toContain('did you mean');
  });

  it('on a terminal: asks whether the closest command was meant (@oclif/plugin-not-found)', async () => {
    if ((await missingTools(['script'], 'the not-found prompt on a terminal')).length) return;
    const r = await run('script', ['-qec', `${process.execPath} ${join(repoRoot, 'bin', 'run.js')} scna`, '/dev/null'], { input: 'n\n', okCodes: [127], timeoutMs: 60_000 });
    const text = r.stdout.toString().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(text).toMatch(/Did you mean scan\?/);
  });
});

describe('scan', () => {
  it('a path without its scheme: suggests oci:PATH for a layout, docker-archive:PATH for a tar archive', async () => {
    if (skip) return;
    const r = await cli(['scan', layout, '--data', join(work, 'unused')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`Error: ${layout} is an OCI image layout: give it with its scheme, oci:${layout} [USAGE]`);
    const tar = join(work, 'image.tar');
    await run('tar', ['-cf', tar, '-C', layout, '.']);
    const t = await cli(['scan', tar, '--data', join(work, 'unused')]);
    expect(t.code).toBe(2);
    expect(t.stderr.trim()).toBe(`Error: ${tar} is a tar archive: give it with its scheme, docker-archive:${tar} [USAGE]`);
    const c = await cli(['check', tar, '--config', join(work, 'none.yml')]);
    expect(c.stderr.trim()).toBe(`Error: ${tar} is a tar archive: give it with its scheme, docker-archive:${tar} [USAGE]`);
  });

  it('the progress line counts layers as they finish, and on a re-scan those already in the dataset', async () => {
    if (skip) return;
    const data = join(work, 'progress');
    const v1 = layerDigests(layout, 'v1');
    const both = new Set([...v1, ...layerDigests(layout, 'v2')]);
    const first = await cli(['scan', `oci:${layout}:v1`, '--data', data, '--workers', '1']);
    expect(first.code, first.stderr).toBe(0);
    expect(progressLines(first.stderr).at(-1)).toMatch(new RegExp(`^images 1  layers ${v1.length}/${v1.length}  `));
    // v1 again and v2: v1 is stored with its layers; of v2's, those v1 shares are stored, the others are read.
    const again = await cli(['scan', `oci:${layout}:v1`, `oci:${layout}:v2`, '--data', data, '--workers', '1']);
    expect(again.code, again.stderr).toBe(0);
    const read = both.size - v1.length;
    expect(progressLines(again.stderr).at(-1)).toMatch(new RegExp(`^images 2 \\(1 already in the dataset\\)  layers ${read}/${read} \\(${v1.length} already in the dataset\\)  `));
  });

  it('an error before the scan begins prints the error alone, no empty progress line', async () => {
    const r = await cli(['scan', `oci:${join(work, 'nowhere')}:1`, '--data', join(work, 'none')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Error: .*not an OCI image layout/)]);
  });

  it('a dataset only failed scans wrote is refused by analyze, which reports the failure; a good scan then analyzes', async () => {
    if (skip) return;
    const bad = join(work, 'bad-layout');
    await run('cp', ['-r', layout, bad]);
    const broken = layerDigests(bad, 'v2').at(-1)!;
    const blob = join(bad, 'blobs', 'sha256', broken.slice(7));
    chmodSync(blob, 0o644);
    truncateSync(blob, 10);
    const data = join(work, 'failed');
    const scan = await cli(['scan', `oci:${bad}:v2`, '--data', data, '--workers', '1']);
    expect(scan.code).toBe(1);
    const analyze = await cli(['analyze', '--data', data, '--out', join(work, 'failed-report')]);
    expect(analyze.code).toBe(1);
    expect(analyze.stdout).toBe('');
    expect(analyze.stderr).toContain(`Error: no image in ${data}: the scans into it failed (1 failure recorded, the last: `);
    expect(analyze.stderr).toContain(broken);
    const json = await cli(['analyze', '--data', data, '--out', join(work, 'failed-report'), '--json']);
    expect(JSON.parse(json.stdout).error.code).toBe('NOT_FOUND');
    // What the failed scan stored stays; a good scan into the same dataset makes it one to analyze.
    expect((await cli(['scan', `oci:${layout}:v1`, '--data', data, '--workers', '1'])).code).toBe(0);
    const ok = await cli(['analyze', '--data', data, '--out', join(work, 'failed-report'), '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).summary.dataset).toMatchObject({ images: 1, failures: 1 });
  });
});
