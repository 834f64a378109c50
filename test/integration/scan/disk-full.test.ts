/**
 * `imgscan scan` into a data dir on a full disk (a real 4 MiB tmpfs): the layer whose staged rows find no room
 * to spill fails the scan with one STORE error naming the image, the layer and the directory, and the dataset
 * committed before is left whole. The image is built by umoci from a tree of 40 000 files with long names: some
 * 40 MB of staged rows, far more than the 16 MB of memory and 4 MiB of disk they may take.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type CliRun, datasetRows, queryDataset, type DatasetRows } from '../../support/dataset.js';

import { tableNames } from '../../../src/model/schema.js';
import { runText } from '../../support/exec.js';
import { missingTools } from '../../support/tools.js';
import { canMountTmpfs, mountTmpfs, type Tmpfs } from '../../support/tmpfs.js';

const missing = await missingTools(['umoci', 'tar'], 'disk-full scan tests');
const can = missing.length === 0 && canMountTmpfs('disk-full scan tests');

let work: string;
let layout: string;
let bigLayer: string;
let bigImage: string;
let bigEntries: number;
const bigFiles = 40_000;

/** The manifest digest of `tag` and of its only layer, from the index and manifest umoci wrote. */
function onlyLayer(tag: string): { manifest: string; layer: string } {
  const blob = (digest: string) => JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)), 'utf8'));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
  const digest = index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === tag)!.digest;
  const manifest = blob(digest) as { layers: { digest: string }[] };
  expect(manifest.layers).toHaveLength(1);
  return { manifest: digest, layer: manifest.layers[0]!.digest };
}

beforeAll(async () => {
  if (!can) return;
  work = mkdtempSync(join(tmpdir(), 'imgscan-disk-full-'));
  layout = join(work, 'layout');
  // Three directories of 200-byte names and files with 200-byte names: some 1 KiB of path per row.
  const deep = join(work, 'big', ...['a', 'b', 'c'].map((c) => c.repeat(200)));
  mkdirSync(deep, { recursive: true });
  for (let i = 0; i < bigFiles; i++) writeFileSync(join(deep, `file-${i}-${'x'.repeat(200)}`), '');
  mkdirSync(join(work, 'small'));
  for (const n of ['one', 'two', 'three']) writeFileSync(join(work, 'small', n), `${n}\n`);
  await runText('umoci', ['init', '--layout', layout]);
  for (const tag of ['small', 'big']) {
    await runText('umoci', ['new', '--image', `${layout}:${tag}`]);
    await runText('umoci', ['insert', '--image', `${layout}:${tag}`, join(work, tag), '/data']);
  }
  const big = onlyLayer('big');
  bigLayer = big.layer;
  // How the scan names an image of a layout: PATH:TAG@MANIFEST_DIGEST.
  bigImage = `${layout}:big@${big.manifest}`;
  // Entries of the layer as GNU tar lists them: the rows a complete scan stores.
  const blob = join(layout, 'blobs', 'sha256', bigLayer.slice('sha256:'.length));
  bigEntries = (await runText('tar', ['-tzf', blob])).trim().split('\n').length;
  expect(bigEntries).toBeGreaterThan(bigFiles);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!can)('imgscan scan on a full disk', () => {
  let fs: Tmpfs | undefined;
  let data: string;
  let small: CliRun;
  let before: DatasetRows;
  /** The big layer scanned with rows staged in a worker thread, then on the main thread with --json. */
  let failed: CliRun;
  let json: CliRun;
  let afterFailed: DatasetRows;
  let afterJson: DatasetRows;
  let pendingAfterFailed: string[];
  let claimsAfterFailed: string[];
  const scan = (tag: string, ...flags: string[]) => cli(['scan', `oci:${layout}:${tag}`, '--data', data, ...flags]);
  // 16 MB of staged rows in memory, the rest spills to the 4 MiB of the data dir's file system.
  const spill = ['--staging-memory', '16MB'];

  beforeAll(async () => {
    fs = mountTmpfs(4);
    data = join(fs.dir, 'data');
    small = await scan('small', '--workers', '1');
    before = await datasetRows(data);
    failed = await scan('big', ...spill, '--workers', '1');
    afterFailed = await datasetRows(data);
    pendingAfterFailed = readdirSync(join(data, '_pending'));
    claimsAfterFailed = readdirSync(join(data, '_claims'));
    json = await scan('big', ...spill, '--workers', '0', '--json');
    afterJson = await datasetRows(data);
  }, 180_000);
  afterAll(() => {
    fs?.unmount();
    fs = undefined;
  });

  it('a layer that fits is stored', () => {
    expect(small.code).toBe(0);
    expect(before.files.length).toBeGreaterThan(3);
  });

  it('rows staged in a worker thread: fails with STORE naming image, layer and directory, one Error: line', () => {
    // The failure is the layer's, not an uncaught exception of the process.
    expect(failed.code, failed.stderr).toBe(1);
    const line = failed.stderr.trim().split('\n').at(-1)!;
    expect(line).toMatch(new RegExp(`^Error: image ${bigImage}, layer ${bigLayer}, at ${data}: could not stage .*no space left on the file system of ${data} .*\\[STORE\\]$`));
    expect(failed.stderr).not.toContain('    at ');
    expect(failed.stderr).not.toContain('Possible solutions');
  });

  it('rows staged in a worker thread: the dataset stays as it was, no spill file or claim left behind', () => {
    expect(afterFailed).toEqual(before);
    expect(pendingAfterFailed, 'spill files left behind').toEqual([]);
    expect(claimsAfterFailed, 'claims left behind').toEqual([]);
  });

  it('rows staged on the main thread: the STORE error as JSON, the dataset as it was', () => {
    expect(json.code).toBe(1);
    const { error } = JSON.parse(json.stdout) as { error: { code: string; message: string; context: Record<string, string> } };
    expect(error.code).toBe('STORE');
    expect(error.context).toEqual({ image: bigImage, layer: bigLayer, path: data });
    expect(error.message).toContain(`no space left on the file system of ${data}`);
    expect(afterJson).toEqual(before);
  });

  it('with room, the same data dir takes the layer: every entry GNU tar lists, the earlier dataset kept', async () => {
    // Room in memory too: a Parquet row group of 30 720 such 1 KiB paths takes more than the default 48 MB to encode.
    fs!.resize(256);
    const done = await scan('big', '--staging-memory', '256MB', '--workers', '1');
    expect(done.code, done.stderr).toBe(0);
    const [n] = await queryDataset<{ n: number }>(data, `SELECT count(*) AS n FROM files WHERE layer_digest = '${bigLayer}'`);
    expect(n!.n).toBe(bigEntries);
    const after = await datasetRows(data);
    for (const table of tableNames) expect<object[]>(after[table]).toEqual(expect.arrayContaining<object>(before[table]));
  }, 180_000);
});
