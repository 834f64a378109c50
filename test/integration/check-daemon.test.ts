/**
 * `imgscan check docker-daemon:NAME` against a real Docker engine of the test's own (test/support/dockerd.ts).
 * The image loaded into it is app1 without its third layer: dockerd refuses that layer ("ApplyLayer duplicates
 * of file paths not supported"), and the first two still hold every kind of waste (etc/fixture.conf written again
 * by L1, the payload copied by L1, the dups inside L0). Its figures are computed independently from the two layer
 * blobs (test/support/check.ts), and the thresholds are set on either side of them.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFigures, checksOf, rulesAt, writeConfig, type CheckFigures, expectFailedAtFigures } from '../support/check.js';
import { cli, type CliRun } from '../support/dataset.js';
import { startDockerd, type Dockerd } from '../support/dockerd.js';
import { run } from '../support/exec.js';
import { blobFile, buildFixtures, type FixtureImage } from '../support/fixtures.js';
import { missingTools } from '../support/tools.js';

const missing = await missingTools(['docker', 'dockerd', 'umoci', 'skopeo'], 'imgscan check on a docker-daemon image');

const TAG = 'imgscan/app1-two:latest';
const LAYERS = 2;

/**
 * A classic docker-archive (manifest.json, config, gzip layer blobs as `docker load` takes them) of the image's
 * first `count` layers, under `tag`: the image's config with its diff_ids and layer history cut to those layers.
 */
async function archiveOfFirstLayers(image: FixtureImage, count: number, tag: string, file: string): Promise<void> {
  const stage = await mkdtemp(join(tmpdir(), 'imgscan-check-daemon-stage-'));
  try {
    const manifest = JSON.parse(await readFile(blobFile(image.layout, image.manifestDigest), 'utf8')) as { config: { digest: string } };
    const config = JSON.parse(await readFile(blobFile(image.layout, manifest.config.digest), 'utf8')) as {
      rootfs: { diff_ids: string[] };
      history?: { empty_layer?: boolean }[];
    };
    config.rootfs.diff_ids = config.rootfs.diff_ids.slice(0, count);
    if (config.history) {
      let layers = 0;
      config.history = config.history.filter((h) => h.empty_layer || ++layers <= count);
    }
    const configText = JSON.stringify(config);
    const configName = `${createHash('sha256').update(configText).digest('hex')}.json`;
    await writeFile(join(stage, configName), configText);
    const layerNames = image.layerDescriptors.slice(0, count).map((_, i) => `layer${i}.tar.gz`);
    for (const [i, name] of layerNames.entries()) await copyFile(image.layerDescriptors[i]!.blob, join(stage, name));
    await writeFile(join(stage, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: [tag], Layers: layerNames }]));
    await run('tar', ['-cf', file, '-C', stage, 'manifest.json', configName, ...layerNames]);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

describe.skipIf(missing.length > 0)('imgscan check docker-daemon:', () => {
  let work: string;
  let dockerd: Dockerd;
  /** The figures of app1's first two layers, computed from their blobs. */
  let want: CheckFigures;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'imgscan-check-daemon-'));
    const [fx, engine] = await Promise.all([buildFixtures(join(work, 'fx')), startDockerd()]);
    dockerd = engine;
    const image = fx.images.app1;
    want = await checkFigures(image.layerDescriptors.slice(0, LAYERS).map((l) => l.blob));
    // Each figure is non-zero, so that a limit can sit on either side of it.
    expect(Math.min(want.files_size, want.path_waste, want.content_waste)).toBeGreaterThan(0);
    const archive = join(work, 'app1-two.docker.tar');
    await archiveOfFirstLayers(image, LAYERS, TAG, archive);
    await run('docker', ['-H', dockerd.host, 'load', '-i', archive]);
  });
  afterAll(async () => {
    await dockerd?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  function check(args: string[]): Promise<CliRun> {
    return cli(['check', `docker-daemon:${TAG}`, '--workers', '1', ...args], { DOCKER_HOST: dockerd.host });
  }

  it('passes the image at its limits: one PASS line per rule with the measured value, exit 0', async () => {
    const file = writeConfig(join(work, 'configs'), 'at.yml', rulesAt(want, 'at'));
    const text = await check(['--config', file]);
    expect(text.code, text.stdout + text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['PASS min_image_efficiency', 'PASS max_path_waste', 'PASS max_content_waste', 'PASS max_layers', 'result']);
    expect(lines[1]).toContain(`(${want.path_waste}) <= `);
    expect(lines[3]).toBe(`PASS max_layers: ${want.layers} <= ${want.layers}`);
    expect(lines[4]).toBe('result: PASS (4 rules)');

    const json = await check(['--config', file, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const out = checksOf(json);
    expect(out.passed).toBe(true);
    expect(out.image).toBe(`docker-daemon:${TAG}`);
    expect(out.images).toHaveLength(1);
    expect(out.images[0].checks.every((c: { passed: boolean }) => c.passed)).toBe(true);
  });

  it('fails each rule just past the image, exit 4, and says so in JSON with the measured figures', async () => {
    const file = writeConfig(join(work, 'configs'), 'past.yml', rulesAt(want, 'past'));
    const text = await check(['--config', file]);
    expect(text.code, text.stdout + text.stderr).toBe(4);
    const lines = text.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['FAIL min_image_efficiency', 'FAIL max_path_waste', 'FAIL max_content_waste', 'FAIL max_layers', 'result']);
    expect(lines[3]).toBe(`FAIL max_layers: ${want.layers} <= ${want.layers - 1}`);
    expect(lines[4]).toBe('result: FAIL (4 of 4 rules failed)');

    const json = await check(['--config', file, '--json']);
    expect(json.code, json.stderr).toBe(4);
    const out = checksOf(json);
    expect(out.passed).toBe(false);
    expect(out.data_dir).toBeNull();
    expect(out.images).toHaveLength(1);
    const i = out.images[0];
    expectFailedAtFigures(i, want);
  });
});
