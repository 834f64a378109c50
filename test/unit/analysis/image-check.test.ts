import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImage, gateChecks } from '../../../src/analysis/image-check.js';
import { parseFraction, parseThresholds } from '../../../src/analysis/thresholds.js';
import { parseFormats } from '../../../src/report/redundancy/formats.js';
import { ImgscanError } from '../../../src/errors.js';
import { entry, file, image, layer, writeRows } from './build.js';
import { referencePathWaste } from './reference.js';

const root = mkdtempSync(join(tmpdir(), 'imgscan-analyze-image-'));
const dir = join(root, 'data');
const l0 = layer('l0', [entry('etc', 'dir'), file('etc/a', 'a', 1000), file('etc/b', 'b', 2000), file('etc/c', 'c', 50)]);
const l1 = layer('l1', [entry('etc', 'dir'), file('etc/a', 'a2', 1200), entry('etc/.wh.b', 'whiteout'), file('etc/copy-of-c', 'c', 50)]);
const app = image('app', [l0, l1], [{ registry: 'oci', repository: '/layouts/app', tag: '1.0' }]);
const hub = image('hub', [l0], [{ registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }]);
const arm = image('arm', [l1], [{ registry: 'registry.test', repository: 'multi', tag: 'v1' }]);
const amd = image('amd', [l0, l1], [{ registry: 'registry.test', repository: 'multi', tag: 'v1' }]);
// A daemon on the containerd image store names images in full.
const daemon = image('daemon', [l1], [{ registry: 'docker-daemon', repository: 'docker.io/library/tool', tag: '2.0' }]);

beforeAll(async () => {
  await writeRows(dir, { layers: [l0, l1], images: [app, hub, arm, amd, daemon] });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('analyze --image', () => {
  it('finds an image by the ref the report prints, by scan reference, by digest and by digest prefix', async () => {
    for (const ref of ['oci:/layouts/app:1.0', app.manifest_digest, app.manifest_digest.slice(0, 7 + 12), app.manifest_digest.slice(7, 7 + 16)]) {
      const c = await checkImage({ dataDirs: [dir], ref });
      expect(c.images.map((i) => i.manifest_digest), ref).toEqual([app.manifest_digest]);
    }
    for (const ref of ['busybox', 'docker.io/library/busybox:latest', 'docker.io/library/busybox']) {
      expect((await checkImage({ dataDirs: [dir], ref })).images.map((i) => i.manifest_digest), ref).toEqual([hub.manifest_digest]);
    }
  });

  it('finds a daemon image by the name as typed or in full', async () => {
    for (const ref of ['docker-daemon:tool:2.0', 'docker-daemon:docker.io/library/tool:2.0', 'docker-daemon:library/tool:2.0']) {
      expect((await checkImage({ dataDirs: [dir], ref })).images.map((i) => i.manifest_digest), ref).toEqual([daemon.manifest_digest]);
    }
  });

  it('reports every image a tag resolves to (the platforms of an index)', async () => {
    const c = await checkImage({ dataDirs: [dir], ref: 'registry.test/multi:v1' });
    expect(c.images.map((i) => i.manifest_digest).sort()).toEqual([arm.manifest_digest, amd.manifest_digest].sort());
  });

  it('gives content and path waste as the definitions say, with the paths behind path_waste', async () => {
    const c = await checkImage({ dataDirs: [dir], ref: 'oci:/layouts/app:1.0' });
    const i = c.images[0];
    const filesSize = 1000 + 2000 + 50 + 1200 + 50;
    expect(i.files_size).toBe(filesSize);
    expect(i.content_waste).toBe(50); // etc/copy-of-c repeats etc/c
    expect(i.path_waste).toBe(referencePathWaste([l0, l1]));
    expect(i.path_waste).toBe(1000 + 2000); // etc/a rewritten, etc/b deleted
    expect(i.image_efficiency).toBeCloseTo(1 - 3000 / filesSize, 12);
    expect(i.wasted_paths).toEqual([
      { path: 'etc/b', wasted: 2000, reason: 'deleted by a whiteout' },
      { path: 'etc/a', wasted: 1000, reason: 'overwritten' },
    ]);
    expect(c.passed).toBe(true);
    expect(i.checks).toEqual([]);
  });

  it('thresholds make it a gate, content-based as well as path-based', async () => {
    const run = (thresholds: Parameters<typeof checkImage>[0]['thresholds']) => checkImage({ dataDirs: [dir], ref: 'oci:/layouts/app:1.0', thresholds });
    expect((await run({ min_image_efficiency: 0.3, max_content_waste: 50 })).passed).toBe(true);
    const failed = await run({ min_image_efficiency: 0.9, max_content_waste: 49, max_path_waste_fraction: 0.99 });
    expect(failed.passed).toBe(false);
    expect(failed.images[0].checks.map((k) => [k.rule, k.passed])).toEqual([
      ['min_image_efficiency', false],
      ['max_path_waste_fraction', true],
      ['max_content_waste', false],
    ]);
  });

  it('an unknown image is NOT_FOUND', async () => {
    await expect(checkImage({ dataDirs: [dir], ref: 'oci:/nowhere:1' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(checkImage({ dataDirs: [join(root, 'missing')], ref: 'x' })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('threshold and format flags', () => {
  it('parses fractions, sizes and formats, and refuses the rest', () => {
    expect(parseFraction('0.95', 'x')).toBe(0.95);
    expect(parseFraction('95%', 'x')).toBeCloseTo(0.95, 12);
    expect(() => parseFraction('1.5', 'min-efficiency')).toThrow(ImgscanError);
    expect(parseThresholds({ 'max-path-waste': '20MB', 'max-content-waste': '1KiB', 'min-efficiency': '90%' })).toEqual({ max_path_waste: 20e6, max_content_waste: 1024, min_image_efficiency: 0.9 });
    expect(parseFormats('md, JSON,md')).toEqual(['md', 'json']);
    expect(() => parseFormats('md,pdf')).toThrow(/unknown report format "pdf"/);
  });

  it('gate checks compare at the limit inclusively', () => {
    const w = { layer_refs: 7, image_efficiency: 0.9, path_waste: 10, path_waste_fraction: 0.1, content_waste: 5, content_waste_fraction: 0.05 };
    expect(gateChecks(w, { min_image_efficiency: 0.9, max_path_waste: 10, max_content_waste_fraction: 0.05, max_layers: 7 }).every((c) => c.passed)).toBe(true);
    expect(gateChecks(w, { max_content_waste: 4 })).toEqual([{ rule: 'max_content_waste', limit: 4, value: 5, passed: false }]);
    expect(gateChecks(w, { max_layers: 6 })).toEqual([{ rule: 'max_layers', limit: 6, value: 7, passed: false }]);
  });
});
